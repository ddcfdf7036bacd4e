"""What the reliability scenarios share besides their fixtures (conftest.py)."""
from __future__ import annotations

import os

#: The long variants (``make reliability``, ``make bench``); ``make test`` runs the short ones.
LONG = os.environ.get("DSR_RELIABILITY_LONG") == "1"
