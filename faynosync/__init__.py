"""faynosync: a self-hosted update server for desktop applications."""

__version__ = "0.1.0"
