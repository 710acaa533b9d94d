"""glance networks: generator, discriminators, flow net, correlation encoders, autoencoder."""

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
