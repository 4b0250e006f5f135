"""The command line (``bigpicture``): ``main`` parses, dispatches and maps every failure to one
line and an exit code (``console``); ``commands`` and ``batch`` hold the commands."""

from bigpicture.cli.main import main

__all__ = ["main"]
