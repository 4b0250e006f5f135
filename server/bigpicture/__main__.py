"""``python -m bigpicture``: the same as the ``bigpicture`` command."""

import sys

from .cli import main

sys.exit(main())
