"""The version of smpstudio (one place; ``smpstudio.__version__`` re-exports it)."""

__version__ = "0.1.0"
