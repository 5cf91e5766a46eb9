import subprocess
import sys

import mnist_core


def test_every_public_name_resolves():
    for name in mnist_core.__all__:
        assert getattr(mnist_core, name) is not None


def test_importing_the_package_does_not_load_tensorflow():
    code = "import sys, mnist_core; print('tensorflow' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"
