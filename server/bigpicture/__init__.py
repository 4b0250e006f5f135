"""BigPicture: whole-repository code review in one large-context Claude request."""

__version__ = "0.1.0"
