"""``python -m bigpicture``: the same as the ``bigpicture`` command."""

import sys

from bigpicture.cli import main

sys.exit(main())
