"""Digit Studio's core: MNIST data, models, training, evaluation, model store, prediction (and
"not a digit"), reading whole numbers, and handwriting samples with fine-tuning on them.

The public names below load their module on first use, so `import mnist_core` (and the CLI's
`models` command and `--help`) does not pay TensorFlow's start-up time. Type checkers and editors
read the same names from the `TYPE_CHECKING` imports, which a test keeps in step with _EXPORTS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mnist_core.calibrate import Calibration as Calibration
    from mnist_core.config import FinetuneConfig as FinetuneConfig
    from mnist_core.config import TrainingConfig as TrainingConfig
    from mnist_core.data import load_mnist as load_mnist
    from mnist_core.errors import ConfigError as ConfigError
    from mnist_core.errors import DatasetError as DatasetError
    from mnist_core.errors import EmptyImageError as EmptyImageError
    from mnist_core.errors import ImageError as ImageError
    from mnist_core.errors import InvalidImageError as InvalidImageError
    from mnist_core.errors import InvalidModelNameError as InvalidModelNameError
    from mnist_core.errors import MnistCoreError as MnistCoreError
    from mnist_core.errors import ModelLoadError as ModelLoadError
    from mnist_core.errors import ModelNotFoundError as ModelNotFoundError
    from mnist_core.errors import ModelStoreError as ModelStoreError
    from mnist_core.errors import NoConvolutionError as NoConvolutionError
    from mnist_core.errors import SampleStoreBusyError as SampleStoreBusyError
    from mnist_core.errors import SampleStoreError as SampleStoreError
    from mnist_core.evaluate import EvaluationResult as EvaluationResult
    from mnist_core.finetune import finetune as finetune
    from mnist_core.models import ARCHITECTURES as ARCHITECTURES
    from mnist_core.models import build_model as build_model
    from mnist_core.predict import Classifier as Classifier
    from mnist_core.predict import Prediction as Prediction
    from mnist_core.predict import load_classifier as load_classifier
    from mnist_core.preprocess import to_mnist as to_mnist
    from mnist_core.samples import SampleStore as SampleStore
    from mnist_core.samples import open_sample_store as open_sample_store
    from mnist_core.segment import NumberReading as NumberReading
    from mnist_core.segment import read_number as read_number
    from mnist_core.store import ModelInfo as ModelInfo
    from mnist_core.store import ModelStore as ModelStore
    from mnist_core.train import TrainingResult as TrainingResult

_EXPORTS = {
    "ARCHITECTURES": "mnist_core.models",
    "Calibration": "mnist_core.calibrate",
    "Classifier": "mnist_core.predict",
    "ConfigError": "mnist_core.errors",
    "DatasetError": "mnist_core.errors",
    "EmptyImageError": "mnist_core.errors",
    "EvaluationResult": "mnist_core.evaluate",
    "FinetuneConfig": "mnist_core.config",
    "ImageError": "mnist_core.errors",
    "InvalidImageError": "mnist_core.errors",
    "InvalidModelNameError": "mnist_core.errors",
    "MnistCoreError": "mnist_core.errors",
    "ModelInfo": "mnist_core.store",
    "ModelLoadError": "mnist_core.errors",
    "ModelNotFoundError": "mnist_core.errors",
    "ModelStore": "mnist_core.store",
    "ModelStoreError": "mnist_core.errors",
    "NoConvolutionError": "mnist_core.errors",
    "NumberReading": "mnist_core.segment",
    "Prediction": "mnist_core.predict",
    "SampleStore": "mnist_core.samples",
    "SampleStoreBusyError": "mnist_core.errors",
    "SampleStoreError": "mnist_core.errors",
    "TrainingConfig": "mnist_core.config",
    "TrainingResult": "mnist_core.train",
    "build_model": "mnist_core.models",
    "finetune": "mnist_core.finetune",
    "load_classifier": "mnist_core.predict",
    "load_mnist": "mnist_core.data",
    "open_sample_store": "mnist_core.samples",
    "read_number": "mnist_core.segment",
    "to_mnist": "mnist_core.preprocess",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mnist_core' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return __all__
