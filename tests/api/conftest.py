from __future__ import annotations

import numpy as np
import pytest

FORMATS = ["zarr3", "zarr", "wkw"]


@pytest.fixture(params=FORMATS)
def data_format(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)
