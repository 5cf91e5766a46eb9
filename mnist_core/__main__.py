"""`python -m mnist_core`: the same CLI as `mnist-core`."""

from mnist_core.cli import main_exit

main_exit()
