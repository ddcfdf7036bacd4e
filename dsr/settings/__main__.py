"""``python -m dsr.settings``: print the README's settings table (``--write`` / ``--check`` README.md)."""
import sys

from .readme import main

sys.exit(main(sys.argv[1:]))
