"""kb: a git-native help-center publishing and search system."""

__version__ = "0.1.0"
