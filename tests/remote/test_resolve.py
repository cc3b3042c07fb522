"""Dataset links resolve to (server, id, sharing token) without a request (property
tests over the URL forms the reference accepts)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wkfn as wk
from wkfn.remote.resolve import resolve

ids = st.text("0123456789abcdef", min_size=24, max_size=24)
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)
tokens = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=4, max_size=20)
hosts = st.sampled_from(
    ["http://127.0.0.1:9000", "https://webknossos.org", "https://wk.example.org/sub"]
)


@given(
    host=hosts,
    dataset_id=ids,
    prefix=st.one_of(st.none(), names),
    view=st.booleans(),
    fragment=st.one_of(st.none(), st.just("#1,2,3,0,1.3")),
    token=st.one_of(st.none(), tokens),
)
def test_dataset_urls_resolve_without_requests(
    host: str,
    dataset_id: str,
    prefix: str | None,
    view: bool,
    fragment: str | None,
    token: str | None,
) -> None:
    url = f"{host}/datasets/{prefix + '-' if prefix else ''}{dataset_id}"
    url += "/view" if view else ""
    url += f"?token={token}" if token else ""
    url += fragment or ""
    where = resolve(url)  # no server runs: any request would fail the test
    assert where.dataset_id == dataset_id
    assert where.sharing_token == token
    assert where.context.url == host


def test_the_context_token_goes_only_to_its_own_server() -> None:
    with wk.webknossos_context(url="https://wk.example.org", token="mine"):
        own = resolve(f"https://wk.example.org/datasets/{'a' * 24}")
        with pytest.warns(UserWarning, match="token is not sent there"):
            other = resolve(f"https://other.example.org/datasets/{'a' * 24}")
    assert own.context.token == "mine"
    assert other.context.token is None


@pytest.mark.parametrize(
    "url",
    [
        "https://wk.example.org/annotations/abc",
        "https://wk.example.org/folders/abc",
        "https://wk.example.org/",
        "https://wk.example.org/datasets/not-an-id/extra/parts",
    ],
)
def test_links_to_other_things_are_refused(url: str) -> None:
    with pytest.raises(wk.InvalidArgumentError, match="not a link"):
        resolve(url)


@given(
    value=st.one_of(
        st.text(max_size=20),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.text(max_size=8), max_size=5),
    )
)
def test_metadata_entries_round_trip(value: object) -> None:
    from wkfn.api.remote_dataset import _metadata_entry, _metadata_value

    entry = _metadata_entry("k", value)
    assert entry["type"] in ("string", "number", "string[]")
    assert _metadata_value(entry) == value


@pytest.mark.parametrize("value", [True, None, {"a": 1}, [1, 2], b"x"])
def test_metadata_values_of_other_types_are_refused(value: object) -> None:
    from wkfn.api.remote_dataset import _metadata_entry

    with pytest.raises(wk.InvalidArgumentError, match="metadata 'k'"):
        _metadata_entry("k", value)
