"""``wkfn.spec.urls``: telling a URL from a local path (pure; hypothesis)."""

from __future__ import annotations

from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from wkfn.spec.urls import has_url_scheme, url_scheme
from wkfn.storage import location

schemes = st.from_regex(r"\A[A-Za-z][A-Za-z0-9+.-]{0,9}\Z")
components = st.text(
    st.characters(blacklist_characters="/:\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
)
local_paths = st.builds(
    lambda lead, parts: lead + "/".join(parts),
    st.sampled_from(["", "/", "./", "../"]),
    st.lists(components, min_size=1, max_size=5),
)


@given(schemes, st.text(max_size=30))
def test_scheme_and_separator_make_a_url(scheme: str, rest: str) -> None:
    url = f"{scheme}://{rest}"
    assert has_url_scheme(url)
    assert url_scheme(url) == scheme.lower()
    assert location.is_url(url)


@given(local_paths)
def test_local_paths_are_not_urls(path: str) -> None:
    assert not has_url_scheme(path)
    assert url_scheme(path) is None
    assert not location.is_url(path)
    assert not has_url_scheme(PurePosixPath(path))


@given(st.one_of(local_paths, st.builds(lambda s, r: f"{s}://{r}", schemes, st.text())))
def test_agrees_with_the_substring_test_it_replaces(path: str) -> None:
    # the ad-hoc ``"://" in path`` checks it replaced answer alike on these
    assert has_url_scheme(path) == ("://" in path)


def test_examples() -> None:
    assert has_url_scheme("s3://bucket/ds") and has_url_scheme("https://h/x")
    assert has_url_scheme("gs://b") and url_scheme("GCS://b/x") == "gcs"
    assert not has_url_scheme("/data/ds") and not has_url_scheme("./color/1")
    assert not has_url_scheme("C:\\data") and not has_url_scheme("s3:/collapsed")
    assert not has_url_scheme("1abc://x")  # a scheme starts with a letter
