"""Digit Studio's core: MNIST data, models, training, evaluation, model store, prediction,
reading whole numbers, and handwriting samples with fine-tuning on them.

The public names below load their module on first use, so `import mnist_core` (and the CLI's
`models` command) does not pay TensorFlow's start-up time.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ARCHITECTURES": "mnist_core.models",
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
    "read_number": "mnist_core.segment",
    "to_mnist": "mnist_core.preprocess",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mnist_core' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return __all__
