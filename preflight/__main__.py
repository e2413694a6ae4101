"""``python -m preflight``: see :mod:`preflight.cli`."""

import sys

from preflight.cli import main

sys.exit(main())
