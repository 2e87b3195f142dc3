"""dlquiz: learn deep learning in the terminal with spaced repetition."""

# The single source of the version (read by hatch at build time). A literal, not
# importlib.metadata: that import alone costs ~65 ms of start-up.
__version__ = "0.1.0"
