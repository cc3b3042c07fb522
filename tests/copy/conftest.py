from __future__ import annotations

import pytest
from copy_helpers import FORMATS


@pytest.fixture(params=FORMATS)
def data_format(request: pytest.FixtureRequest) -> str:
    return str(request.param)
