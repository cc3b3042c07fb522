"""Make the repository root importable when pytest runs from the console script.

wkfn is not installed into the virtualenv and pyproject sets no ``pythonpath``; an
already importable ``wkfn`` (e.g. via ``PYTHONPATH``) is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if importlib.util.find_spec("wkfn") is None and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
