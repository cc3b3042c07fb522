"""wkfn's WEBKNOSSOS client against the test server: context, opening, properties,
listing, server-side verbs, and every kind of bad input (typed errors, nothing
written)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from remote_helpers import ORG, OTHER_ORG, OTHER_TOKEN, SAMPLE_NAME, TOKEN, Wk

import wkfn as wk
from wkfn.remote import client


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.01)


def _local_color(wkserver: Wk) -> np.ndarray:
    return wk.Dataset.open(wkserver.sample_path).get_layer("color").get_mag(1).read()


# --------------------------------------------------------------------------- context


def test_env_vars_are_read_when_used_not_at_import(
    wkserver: Wk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WK_URL", wkserver.url)
    monkeypatch.setenv("WK_TOKEN", TOKEN)
    ds = wk.Dataset.open_remote(SAMPLE_NAME)
    assert ds.url == f"{wkserver.url}/datasets/{wkserver.sample.id}"
    np.testing.assert_array_equal(
        ds.get_layer("color").get_mag(1).read(), _local_color(wkserver)
    )


def test_context_is_scoped_and_the_token_is_not_inherited(wkserver: Wk) -> None:
    from wkfn.remote.context import current

    with wk.webknossos_context(url=wkserver.url, token=TOKEN) as ctx:
        assert current() == ctx
        with wk.webknossos_context(timeout=5):
            assert current().url == wkserver.url
            assert current().token is None  # must be given explicitly
            assert current().timeout == 5
        assert current().token == TOKEN
    assert current().url == "https://webknossos.org"
    assert "***" in repr(ctx) and TOKEN not in repr(ctx)


def test_context_works_as_decorator(wkserver: Wk) -> None:
    @wk.webknossos_context(url=wkserver.url, token=TOKEN)
    def names() -> list[str]:
        return sorted(wk.Dataset.get_remote_datasets())

    assert names() == [SAMPLE_NAME]


def test_reads_keep_the_token_after_the_context_ends(wkserver: Wk) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
    # private dataset: without the registered token these reads would be refused
    np.testing.assert_array_equal(
        ds.get_layer("color").get_mag(1).read(), _local_color(wkserver)
    )


def test_bad_timeout_env_is_a_typed_error(
    wkserver: Wk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WK_TIMEOUT", "soon")
    with pytest.raises(wk.InvalidArgumentError, match="WK_TIMEOUT"):
        wk.Dataset.open_remote(SAMPLE_NAME)


# --------------------------------------------------------------------------- opening


def test_open_by_name_id_urls_and_short_link(wkserver: Wk) -> None:
    sid = wkserver.sample.id
    wkserver.server.state.short_links["abc"] = f"{wkserver.url}/datasets/{sid}/view"
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        forms = [
            SAMPLE_NAME,
            sid,
            f"{wkserver.url}/datasets/{sid}",
            f"{wkserver.url}/datasets/{SAMPLE_NAME}-{sid}/view#1,2,3",
            f"{wkserver.url}/datasets/{ORG}/{SAMPLE_NAME}/view",
            f"{wkserver.url}/links/abc",
        ]
        opened = [wk.Dataset.open_remote(form) for form in forms]
        by_org = wk.Dataset.open_remote(SAMPLE_NAME, organization_id=ORG)
    assert {ds.dataset_id for ds in [*opened, by_org]} == {sid}
    assert all(isinstance(ds, wk.RemoteDataset) for ds in opened)
    assert opened[0].read_only
    assert list(opened[0].layers) == ["color", "segmentation"]


def test_sharing_link_opens_a_private_dataset_without_user_token(wkserver: Wk) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        token = wk.Dataset.open_remote(SAMPLE_NAME).sharing_token
    link = f"{wkserver.url}/datasets/{wkserver.sample.id}/view?token={token}"
    ds = wk.Dataset.open_remote(link)
    np.testing.assert_array_equal(
        ds.get_layer("color").get_mag(1).read(), _local_color(wkserver)
    )
    assert token not in repr(ds) and token not in str(ds.get_layer("color"))
    # also with the name and the sharing_token argument on that server
    ds2 = wk.Dataset.open_remote(
        wkserver.sample.id, sharing_token=token, webknossos_url=wkserver.url
    )
    assert ds2.dataset_id == wkserver.sample.id


def test_public_dataset_opens_by_url_without_any_token(wkserver: Wk) -> None:
    wkserver.sample.is_public = True
    ds = wk.Dataset.open_remote(f"{wkserver.url}/datasets/{wkserver.sample.id}/view")
    assert ds.get_layer("color").bounding_box == wk.BoundingBox(
        (10, 20, 5), (70, 60, 40)
    )


# --------------------------------------------------------------------------- bad input


def test_unknown_dataset_is_a_typed_not_found_error(wkserver: Wk) -> None:
    with (
        wk.webknossos_context(url=wkserver.url, token=TOKEN),
        pytest.raises(wk.RemoteDatasetNotFoundError, match="no_such_ds") as info,
    ):
        wk.Dataset.open_remote("no_such_ds")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.status == 404 and ORG in str(info.value)


def test_wrong_organization_is_not_found(wkserver: Wk) -> None:
    with (
        wk.webknossos_context(url=wkserver.url, token=TOKEN),
        pytest.raises(wk.RemoteDatasetNotFoundError, match=OTHER_ORG),
    ):
        wk.Dataset.open_remote(SAMPLE_NAME, organization_id=OTHER_ORG)
    # a user of the other organization cannot see the private dataset by id
    with (
        wk.webknossos_context(url=wkserver.url, token=OTHER_TOKEN),
        pytest.raises(wk.WebknossosNotFoundError) as info,
    ):
        wk.Dataset.open_remote(f"{wkserver.url}/datasets/{wkserver.sample.id}")
    assert OTHER_TOKEN not in str(info.value)


def test_missing_or_expired_token_is_an_auth_error_naming_url_and_status(
    wkserver: Wk,
) -> None:
    with wk.webknossos_context(url=wkserver.url, token=None):
        with pytest.raises(wk.WebknossosAuthError, match="no token") as info:
            wk.Dataset.open_remote(SAMPLE_NAME)  # needs /user for the organization
        assert info.value.status == 401 and "/api/v16/user" in str(info.value)
    expired = "expired-token-123456789"
    with (
        wk.webknossos_context(url=wkserver.url, token=expired),
        pytest.raises(wk.WebknossosAuthError) as info,
    ):
        wk.Dataset.open_remote(SAMPLE_NAME)
    assert expired not in str(info.value) and isinstance(info.value, PermissionError)


def test_url_plus_organization_and_links_to_other_things_are_refused(
    wkserver: Wk,
) -> None:
    url = f"{wkserver.url}/datasets/{wkserver.sample.id}"
    with pytest.raises(wk.InvalidArgumentError, match="must not be set"):
        wk.Dataset.open_remote(url, organization_id=ORG)
    with pytest.raises(wk.InvalidArgumentError, match="not a link to a WEBKNOSSOS"):
        wk.Dataset.open_remote(f"{wkserver.url}/annotations/abc?token=secret1234")
    assert not wkserver.server.requests("GET", "/annotations")


def test_transient_5xx_is_retried_and_persistent_5xx_is_typed(wkserver: Wk) -> None:
    server = wkserver.server
    server.fail("GET", r"/api/v16/datasets/[0-9a-f]{24}$", 503, count=2)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        assert wk.Dataset.open_remote(wkserver.sample.id).dataset_id
        server.fail("GET", r"/api/v16/datasets/[0-9a-f]{24}$", 500, count=100)
        with pytest.raises(wk.WebknossosServerError) as info:
            wk.Dataset.open_remote(wkserver.sample.id)
    err = info.value
    assert err.status == 500 and f"after {client.RETRIES + 1} attempts" in str(err)
    assert wkserver.sample.id in err.url and TOKEN not in str(err)


def test_dropped_connections_are_retried(wkserver: Wk) -> None:
    wkserver.server.fail("GET", r"/api/v16/user$", 0, count=2)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        assert wk.Dataset.open_remote(SAMPLE_NAME).dataset_id == wkserver.sample.id


def test_403_on_data_is_a_permission_error_without_secrets(wkserver: Wk) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        token = wk.Dataset.open_remote(SAMPLE_NAME).sharing_token
    wkserver.server.fail("GET", "datasource-properties.json", 403, count=100)
    link = f"{wkserver.url}/datasets/{wkserver.sample.id}?token={token}"
    with pytest.raises(PermissionError) as info:
        wk.Dataset.open_remote(link)
    assert "403" in str(info.value) and token not in str(info.value)


def test_voxel_writes_to_a_remote_dataset_are_refused_before_any_request(
    wkserver: Wk,
) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
    before = len(wkserver.server.log)
    with pytest.raises(wk.ReadOnlyError, match="WEBKNOSSOS server"):
        ds.add_layer("new", "color")
    with pytest.raises(wk.ReadOnlyError, match="WEBKNOSSOS server"):
        ds.delete_layer("color")
    with pytest.raises(wk.ReadOnlyError):
        ds.get_layer("color").get_mag(1).write(
            np.zeros((4, 4, 4), np.uint8), absolute_offset=(10, 20, 5)
        )
    assert wkserver.server.log[before:] == []


def test_bad_property_values_are_refused_before_any_request(wkserver: Wk) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
        before = len(wkserver.server.requests("PATCH", "."))
        with pytest.raises(wk.InvalidArgumentError, match="tags"):
            ds.tags = "one"  # type: ignore[assignment]
        with pytest.raises(wk.InvalidArgumentError, match="is_public"):
            ds.is_public = "yes"  # type: ignore[assignment]
        with pytest.raises(wk.InvalidArgumentError, match="metadata 'k'"):
            ds.metadata["k"] = {"nested": 1}  # type: ignore[assignment]
        assert len(wkserver.server.requests("PATCH", ".")) == before
        with pytest.raises(wk.WebknossosRequestError, match="400"):
            ds.allowed_teams = ["000000000000000000000000"]


# --------------------------------------------------------------------------- properties


def test_properties_write_through_and_metadata_sends_only_its_key(wkserver: Wk) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
        ds.description = "EM stack"
        ds.metadata["age"] = 3
        ds.metadata["tags"] = ["x", "y"]
        assert dict(ds.metadata) == {"age": 3, "tags": ["x", "y"]}
        del ds.description
        assert ds.description is None
        assert "age" in ds.metadata and len(ds.metadata) == 2
        with pytest.raises(KeyError):
            ds.metadata["missing"]
    patches = wkserver.server.requests("PATCH", "updatePartial")
    assert len(patches) == 4
    rec = wkserver.sample
    assert rec.metadata == [
        {"key": "age", "type": "number", "value": 3},
        {"key": "tags", "type": "string[]", "value": ["x", "y"]},
    ]


def test_listing_by_name_with_all_tags(wkserver: Wk) -> None:
    state = wkserver.server.state
    a = state.add_dataset_from(wkserver.sample_path, ORG, "both_tags")
    a.tags = ["t1", "t2"]
    b = state.add_dataset_from(wkserver.sample_path, ORG, "one_tag")
    b.tags = ["t1"]
    state.add_dataset_from(wkserver.sample_path, OTHER_ORG, "foreign")
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        assert sorted(wk.Dataset.get_remote_datasets()) == [
            "both_tags",
            SAMPLE_NAME,
            "one_tag",
        ]
        assert sorted(wk.Dataset.get_remote_datasets(tags="t1")) == [
            "both_tags",
            "one_tag",
        ]
        tagged = wk.Dataset.get_remote_datasets(tags=["t1", "t2"])
        assert list(tagged) == ["both_tags"]
        assert tagged["both_tags"].dataset_id == a.id
        assert list(wk.RemoteDataset.list(name="one_tag")) == [b.id]


def test_explore_and_add_remote_and_reload_trigger(wkserver: Wk) -> None:
    uri = wkserver.sample_path.resolve().as_uri()
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        added = wk.Dataset.explore_and_add_remote(uri, "explored", f"{ORG}/Published")
        assert added.name == "explored"
        assert added.folder.name == "Published"
        np.testing.assert_array_equal(
            added.get_layer("color").get_mag(1).read(), _local_color(wkserver)
        )
        wk.Dataset.trigger_reload_in_datastore("explored", ORG)
    assert wkserver.server.state.reloads == [(ORG, added.dataset_id)]


def test_announce_manual_upload_reserves_the_dataset(wkserver: Wk) -> None:
    state = wkserver.server.state
    root = state.root_folder(ORG).id
    team = next(t.id for t in state.teams.values() if t.organization == ORG)
    with (
        wk.webknossos_context(url=wkserver.url, token=TOKEN),
        pytest.warns(DeprecationWarning),
    ):
        wk.Dataset.announce_manual_upload("manual_ds", ORG, [team], root)
    rec = next(r for r in state.datasets.values() if r.name == "manual_ds")
    assert rec.team_ids == [team] and rec.path.is_dir()
    with (
        wk.webknossos_context(url=wkserver.url, token=TOKEN),
        pytest.warns(DeprecationWarning),
        pytest.raises(wk.WebknossosAuthError),
    ):
        wk.Dataset.announce_manual_upload("other", OTHER_ORG, [], root)


def test_delete(wkserver: Wk, tmp_path: Path) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
        ds.delete()
        with pytest.raises(wk.RemoteDatasetNotFoundError):
            wk.Dataset.open_remote(SAMPLE_NAME)


def test_login_sets_the_context_for_the_rest_of_the_session(wkserver: Wk) -> None:
    import contextvars

    from wkfn.remote.context import current

    def session() -> str:
        wk.login(url=wkserver.url, token=TOKEN)
        return wk.Dataset.open_remote(SAMPLE_NAME).dataset_id

    # a copied context stands in for a fresh session; this test's stays untouched
    assert contextvars.copy_context().run(session) == wkserver.sample.id
    assert current().token is None
    with pytest.raises(wk.InvalidArgumentError, match="token"):
        contextvars.copy_context().run(wk.login)


UNPICKLE_AND_READ = """
import pickle, sys
ds = pickle.loads(bytes.fromhex(sys.stdin.read()))
print(int(ds.get_layer("color").get_mag(1).read().astype("uint64").sum()))
"""


def test_a_pickled_remote_dataset_reads_in_another_process(wkserver: Wk) -> None:
    import pickle
    import subprocess
    import sys

    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
    proc = subprocess.run(
        [sys.executable, "-c", UNPICKLE_AND_READ],
        input=pickle.dumps(ds).hex(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout) == int(_local_color(wkserver).astype(np.uint64).sum())
