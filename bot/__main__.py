"""`python -m bot`: the same as the `mohbot` command."""

import sys

from bot.cli import main

sys.exit(main())
