"""glance networks: generator, discriminators, flow net, correlation encoders, autoencoder."""

from glance.nn.autoencoder import PerceptualAutoencoder
from glance.nn.correlation import AudioDerivativeEncoder, MotionEncoder
from glance.nn.discriminator import Discriminator
from glance.nn.flow import FlowNet
from glance.nn.generator import AudioEncoder, Generator, IdentityEncoder

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
