"""dlquiz: learn deep learning in the terminal with spaced repetition."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dlquiz")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
