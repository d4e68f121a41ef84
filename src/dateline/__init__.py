"""dateline: a static site generator for news bulletin archives."""

__version__ = "0.1.0"
