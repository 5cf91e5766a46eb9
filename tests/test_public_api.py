from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mnist_core

HEAVY = ("tensorflow", "keras")  # seconds of start-up: only training, evaluating, predicting
SHIPPED_MODELS = Path(__file__).resolve().parents[1] / "models"


def test_every_public_name_resolves():
    for name in mnist_core.__all__:
        assert getattr(mnist_core, name) is not None


def test_type_checkers_see_every_public_name_where_it_is_loaded_from():
    """The TYPE_CHECKING imports (what editors read) name the same objects as the lazy table."""
    tree = ast.parse(Path(mnist_core.__file__).read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If))
    typed = {
        alias.asname: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }
    assert typed == mnist_core._EXPORTS


def heavy_modules_after(code: str) -> list[str]:
    """Which of TensorFlow and Keras a fresh interpreter has loaded after running `code`."""
    check = f"{code}\nimport sys; print([name for name in {HEAVY!r} if name in sys.modules])"
    output = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    return ast.literal_eval(output.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import mnist_core",
        "import mnist_core.config",
        "import mnist_core.cli",
        "from mnist_core.models import parameter_count; parameter_count('cnn-classic')",
    ],
)
def test_the_registry_and_the_cli_load_neither_tensorflow_nor_keras(code):
    assert heavy_modules_after(code) == []


def test_listing_models_loads_neither_tensorflow_nor_keras(tmp_path):
    store = tmp_path / "models"
    shutil.copytree(SHIPPED_MODELS, store)
    code = (
        "import mnist_core.cli\n"
        f"assert mnist_core.cli.main(['--models-dir', {str(store)!r}, 'models']) == 0"
    )
    assert heavy_modules_after(code) == []


def test_help_loads_neither_tensorflow_nor_keras():
    code = (
        "import contextlib, io, mnist_core.cli\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    mnist_core.cli.main(['--help'])"
    )
    assert heavy_modules_after(code) == []
