"""Every wkfn error survives pickling (a process pool or dask carries it back).

ExecutionError used to fail to unpickle (its __init__ takes a dict), which broke
the multiprocessing pool's result thread and left the caller waiting forever.
"""

from __future__ import annotations

import inspect
import multiprocessing
import pickle

import pytest

import wkfn.errors as errors
from wkfn.errors import ExecutionError, WkfnError

SAMPLES: dict[type[WkfnError], WkfnError] = {
    errors.PropertiesError: errors.PropertiesError([("$.a", "bad")], "x.json"),
    errors.ExecutionError: errors.ExecutionError({"op1": "failed"}),
    errors.ImageConversionError: errors.ImageConversionError("m", path="p"),
    errors.UnsupportedImageFormatError: errors.UnsupportedImageFormatError(
        "m", path="p", install="pip install x"
    ),
    errors.DeclarationError: errors.DeclarationError("d.toml", "$.layers", "bad"),
}

ALL = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, WkfnError)
]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_error_round_trips_through_pickle(cls: type[WkfnError]) -> None:
    err = SAMPLES.get(cls)
    if err is None:
        try:
            err = cls("message")
        except TypeError:
            pytest.fail(f"{cls.__name__} needs a sample in SAMPLES")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err)
    assert back.__dict__ == err.__dict__


def _fail() -> None:
    raise ExecutionError({"op": "boom"})


def test_execution_error_crosses_a_spawn_pool() -> None:
    with (
        multiprocessing.get_context("spawn").Pool(1) as pool,
        pytest.raises(ExecutionError, match="boom") as info,
    ):
        pool.apply(_fail)
    assert info.value.failures == {"op": "boom"}
