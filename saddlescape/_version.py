"""The one version string: pyproject.toml reads it from here, and so do results and the CLI."""

__version__ = "0.1.0"
