"""Typed errors of mnist_core: each carries a sentence a user can act on."""

from __future__ import annotations


class MnistCoreError(Exception):
    """Base of every error mnist_core raises on purpose; pages and the CLI show its message."""


class DatasetError(MnistCoreError):
    """The MNIST files are missing, damaged or not MNIST."""


class ImageError(MnistCoreError):
    """An input image cannot be turned into a digit."""


class EmptyImageError(ImageError):
    """The image holds no ink: nothing to recognize."""


class InvalidImageError(ImageError):
    """The image cannot be read: not an image, damaged, too large or of an unusable shape."""


class ConfigError(MnistCoreError, ValueError):
    """A training or architecture setting is out of range or unknown."""


class ModelStoreError(MnistCoreError):
    """Base of the model store's errors."""


class InvalidModelNameError(ModelStoreError, ValueError):
    """A model name that is not letters, digits, '-' and '_'."""


class ModelNotFoundError(ModelStoreError, KeyError):
    """No model of that name in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelLoadError(ModelStoreError):
    """A stored model file is corrupt, foreign or not an MNIST classifier."""


class SampleStoreError(MnistCoreError):
    """The handwriting samples database or an imported samples file is unusable."""


class SampleStoreBusyError(SampleStoreError):
    """Another session is writing to the samples database: try again in a moment."""


class NoConvolutionError(MnistCoreError):
    """The network has no first convolution that the step-by-step view can show."""
