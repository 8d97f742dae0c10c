"""winback: self-hosted marketing automation for online stores."""

__version__ = "0.1.0"
