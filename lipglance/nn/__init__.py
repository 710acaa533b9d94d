"""The networks (docs/DESIGN.md): each a torch module, built from a config.

| module | what |
|---|---|
| `generator` | G(s, p): audio encoder E_s, identity encoder E_p, 3D fusion and decoder; the shape head |
| `discriminator` | three-stream (audio, video, motion) and two-stream discriminators |
| `flow` | FlowNetS-style flow net, Farneback pseudo ground truth, multiscale EPE |
| `correlation` | phi_s and phi_v: audio features and motion to one value per frame transition |
| `autoencoder` | the perceptual feature network phi |
| `seal` | beyond the paper: the seal detector and seal track that close the lips on p/b/m |
| `blocks` | Conv(+BN+ReLU) and residual blocks shared by all |
"""

from lipglance.nn.autoencoder import PerceptualAutoencoder
from lipglance.nn.correlation import AudioDerivativeEncoder, MotionEncoder
from lipglance.nn.discriminator import Discriminator
from lipglance.nn.flow import FlowNet
from lipglance.nn.generator import AudioEncoder, Generator, IdentityEncoder

__all__ = [
    "AudioDerivativeEncoder",
    "AudioEncoder",
    "Discriminator",
    "FlowNet",
    "Generator",
    "IdentityEncoder",
    "MotionEncoder",
    "PerceptualAutoencoder",
]
