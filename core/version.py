"""Segue's version: the one place it is written (pyproject.toml reads it, ``segue --version`` prints it)."""

__version__ = "0.1.0"
