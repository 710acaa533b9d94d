"""The version of lipglance, the one place it is written (pyproject.toml reads it), in a module of its own so
that the command line reads it without importing the package's API."""

__version__ = "0.1.0"
