"""The test server is faithful: the reference client (webknossos 4.3.3) runs the same
scenarios against it as wkfn and gets the same results.

Each scenario runs once with the reference (a subprocess in its own environment)
and once with wkfn, against the same running test server. A scenario the reference
fails is a bug in the test server (the assertion shows the reference's traceback).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from remote_helpers import ORG, OTHER_ORG, SAMPLE_NAME, TOKEN, Wk

import wkfn as wk

pytestmark = pytest.mark.reference

# One summary function, written in the API both libraries share, so both sides
# describe a dataset the same way.
SUMMARY = """
def summary(ds):
    out = {}
    for name, layer in sorted(ds.layers.items()):
        bb = layer.bounding_box
        mags = {}
        for mag, view in sorted(layer.mags.items(), key=lambda kv: kv[0].to_tuple()):
            data = view.read()
            mags[mag.to_layer_name()] = [
                int(data.astype("uint64").sum()),
                hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest(),
                list(data.shape),
            ]
        out[name] = {
            "category": layer.category,
            "dtype": str(layer.dtype_per_channel),
            "bbox": [list(bb.topleft.to_tuple()), list(bb.size.to_tuple())],
            "mags": mags,
        }
    return out
"""
_ns: dict[str, Any] = {"hashlib": hashlib, "np": np}
exec(SUMMARY, _ns)
summary = _ns["summary"]


READ_SCENARIO = (
    SUMMARY
    + """
import warnings
warnings.simplefilter("ignore")
out = {}
with wk.webknossos_context(url=P["url"], token=P["token"]):
    by_name = wk.RemoteDataset.open(P["name"])
    out["by_name"] = summary(by_name)
    out["by_id"] = summary(wk.RemoteDataset.open(P["id"]))
    view_url = P["url"] + "/datasets/" + P["id"] + "/view"
    out["by_url"] = summary(wk.RemoteDataset.open(view_url))
    out["by_old_url"] = summary(
        wk.RemoteDataset.open(P["url"] + "/datasets/" + P["org"] + "/" + P["name"])
    )
    box = wk.BoundingBox((20, 30, 10), (32, 20, 16))
    region = by_name.get_layer("color").get_mag(1).read(absolute_bounding_box=box)
    out["region"] = hashlib.sha256(np.ascontiguousarray(region).tobytes()).hexdigest()
    out["list_ids"] = sorted(wk.RemoteDataset.list().keys())
    out["list_tag"] = sorted(wk.RemoteDataset.list(tags="tagged").keys())
    out["url"] = by_name.url
    sharing = by_name.sharing_token
    out["sharing_token"] = sharing
# a sharing link opens without a user token
link = P["url"] + "/datasets/" + P["id"] + "?token=" + sharing
out["by_link"] = summary(wk.RemoteDataset.open(link))
print(json.dumps(out))
"""
)

TRANSFER_SCENARIO = (
    SUMMARY
    + """
import warnings
warnings.simplefilter("ignore")
out = {}
with wk.webknossos_context(url=P["url"], token=P["token"]):
    wk.RemoteDataset.open(P["id"]).download(path=P["download"])
    out["download"] = summary(wk.Dataset.open(P["download"]))
    up = wk.Dataset.open(P["download"]).upload(new_dataset_name=P["upload_name"])
    out["upload"] = summary(up)
    out["upload_name"] = up.name
print(json.dumps(out, default=str))
"""
)


def _wkfn_read_scenario(wkserver: Wk, params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with wk.webknossos_context(url=params["url"], token=params["token"]):
        by_name = wk.Dataset.open_remote(params["name"])
        out["by_name"] = summary(by_name)
        out["by_id"] = summary(wk.Dataset.open_remote(params["id"]))
        out["by_url"] = summary(
            wk.Dataset.open_remote(f"{params['url']}/datasets/{params['id']}/view")
        )
        out["by_old_url"] = summary(
            wk.Dataset.open_remote(
                f"{params['url']}/datasets/{params['org']}/{params['name']}"
            )
        )
        box = wk.BoundingBox((20, 30, 10), (32, 20, 16))
        region = by_name.get_layer("color").get_mag(1).read(absolute_bounding_box=box)
        out["region"] = hashlib.sha256(
            np.ascontiguousarray(region).tobytes()
        ).hexdigest()
        out["list_ids"] = sorted(wk.RemoteDataset.list().keys())
        out["list_tag"] = sorted(wk.RemoteDataset.list(tags="tagged").keys())
        out["url"] = by_name.url
        sharing = by_name.sharing_token
        out["sharing_token"] = sharing
    link = f"{params['url']}/datasets/{params['id']}?token={sharing}"
    out["by_link"] = summary(wk.Dataset.open_remote(link))
    return out


def _wkfn_transfer_scenario(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with wk.webknossos_context(url=params["url"], token=params["token"]):
        wk.Dataset.download(params["id"], path=params["download"])
        out["download"] = summary(wk.Dataset.open(params["download"]))
        up = wk.Dataset.open(params["download"]).upload(
            new_dataset_name=params["upload_name"]
        )
        out["upload"] = summary(up)
        out["upload_name"] = up.name
    return out


def test_reference_and_wkfn_read_download_upload_alike(
    wkserver: Wk, ref: Any, tmp_path: Path
) -> None:
    state = wkserver.server.state
    tagged = state.add_dataset_from(wkserver.sample_path, ORG, "tagged_one")
    tagged.tags = ["tagged", "other"]
    params = {
        "url": wkserver.url,
        "token": TOKEN,
        "name": SAMPLE_NAME,
        "id": wkserver.sample.id,
        "org": ORG,
    }
    theirs = ref(READ_SCENARIO, **params)
    ours = _wkfn_read_scenario(wkserver, params)
    theirs |= ref(
        TRANSFER_SCENARIO,
        **params,
        download=str(tmp_path / "ref_download"),
        upload_name="uploaded_by_ref",
    )
    ours |= _wkfn_transfer_scenario(
        {
            **params,
            "download": str(tmp_path / "wkfn_download"),
            "upload_name": "uploaded_by_wkfn",
        }
    )
    local = summary(wk.Dataset.open(wkserver.sample_path))
    for key in ("by_name", "by_id", "by_url", "by_old_url", "by_link"):
        assert theirs[key] == local, key
        assert ours[key] == local, key
    assert ours["region"] == theirs["region"]
    assert (
        ours["list_ids"]
        == theirs["list_ids"]
        == sorted([wkserver.sample.id, tagged.id])
    )
    assert ours["list_tag"] == theirs["list_tag"] == [tagged.id]
    assert (
        ours["url"] == theirs["url"] == f"{wkserver.url}/datasets/{wkserver.sample.id}"
    )
    assert ours["sharing_token"] == theirs["sharing_token"]  # one token per dataset
    assert ours["download"] == theirs["download"] == local
    assert theirs["upload"] == local
    assert ours["upload"] == local
    assert (theirs["upload_name"], ours["upload_name"]) == (
        "uploaded_by_ref",
        "uploaded_by_wkfn",
    )
    # each client reads what the other uploaded
    crossed = ref(
        SUMMARY
        + """
with wk.webknossos_context(url=P["url"], token=P["token"]):
    print(json.dumps(summary(wk.RemoteDataset.open(P["name"]))))
""",
        **{**params, "name": "uploaded_by_wkfn"},
    )
    assert crossed == local
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        assert summary(wk.Dataset.open_remote("uploaded_by_ref")) == local


BAD_INPUT_SCENARIO = """
import warnings
warnings.simplefilter("ignore")
out = {}
def attempt(key, fn):
    try:
        fn()
        out[key] = "ok"
    except Exception as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        out[key] = [type(e).__name__, status or (404 if "404" in str(e) else None)]
with wk.webknossos_context(url=P["url"], token=P["token"]):
    attempt("unknown", lambda: wk.RemoteDataset.open("no_such_dataset"))
    attempt("wrong_org", lambda: wk.RemoteDataset.open(P["name"], P["other_org"]))
with wk.webknossos_context(url=P["url"], token="expired-token-000"):
    attempt("expired", lambda: wk.RemoteDataset.open(dataset_id=P["id"]))
print(json.dumps(out))
"""


def test_bad_input_fails_alike_in_both_clients(wkserver: Wk, ref: Any) -> None:
    params = {
        "url": wkserver.url,
        "token": TOKEN,
        "name": SAMPLE_NAME,
        "id": wkserver.sample.id,
        "other_org": OTHER_ORG,
    }
    theirs = ref(BAD_INPUT_SCENARIO, **params)
    # the reference fails on each (its own error types), as wkfn does with typed ones
    assert all(value != "ok" for value in theirs.values()), theirs
    assert theirs["expired"][1] == 404  # a private dataset is hidden, not 403
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        with pytest.raises(wk.RemoteDatasetNotFoundError):
            wk.Dataset.open_remote("no_such_dataset")
        with pytest.raises(wk.RemoteDatasetNotFoundError):
            wk.Dataset.open_remote(SAMPLE_NAME, OTHER_ORG)
    with wk.webknossos_context(url=wkserver.url, token="expired-token-000"):
        # by id: hidden (404) like for the reference
        with pytest.raises(wk.WebknossosNotFoundError) as info:
            wk.RemoteDataset.open(dataset_id=wkserver.sample.id)
        assert info.value.status == 404
        # an id-shaped name falls back to a name lookup, which needs the user:
        # the expired token is then reported as such (401), clearer than 404
        with pytest.raises(wk.WebknossosAuthError) as auth:
            wk.Dataset.open_remote(wkserver.sample.id)
        assert auth.value.status == 401 and "expired-token-000" not in str(auth.value)


PROPERTY_SCENARIO = """
import warnings
warnings.simplefilter("ignore")
with wk.webknossos_context(url=P["url"], token=P["token"]):
    ds = wk.RemoteDataset.open(dataset_id=P["id"])
    if P["write"]:
        ds.description = "written by the reference"
        ds.tags = ["ref", "x"]
        ds.is_public = True
        ds.metadata = {"species": "mouse", "age": 42, "labels": ["a", "b"]}
        ds.metadata["extra"] = "one more"
        ds.allowed_teams = [P["team"]]
        ds.folder = wk.RemoteFolder.get_by_path(P["folder"])
        ds.name = "renamed_by_ref"
    out = {
        "name": ds.name,
        "description": ds.description,
        "tags": list(ds.tags),
        "is_public": ds.is_public,
        "metadata": dict(ds.metadata),
        "teams": sorted(t.id for t in ds.allowed_teams),
        "folder": ds.folder.id,
    }
print(json.dumps(out))
"""


def _wkfn_properties(url: str, dataset_id: str) -> dict[str, Any]:
    with wk.webknossos_context(url=url, token=TOKEN):
        ds = wk.Dataset.open_remote(dataset_id)
        return {
            "name": ds.name,
            "description": ds.description,
            "tags": list(ds.tags),
            "is_public": ds.is_public,
            "metadata": dict(ds.metadata),
            "teams": sorted(t.id for t in ds.allowed_teams),
            "folder": ds.folder.id,
        }


def test_property_changes_round_trip_between_reference_and_wkfn(
    wkserver: Wk, ref: Any
) -> None:
    state = wkserver.server.state
    team = sorted(t.id for t in state.teams.values() if t.organization == ORG)
    published = next(f for f in state.folders.values() if f.name == "Published")
    params = {
        "url": wkserver.url,
        "token": TOKEN,
        "id": wkserver.sample.id,
        "team": team[0],
        "folder": f"{ORG}/Published",
    }
    written = ref(PROPERTY_SCENARIO, **params, write=True)
    expected = {
        "name": "renamed_by_ref",
        "description": "written by the reference",
        "tags": ["ref", "x"],
        "is_public": True,
        "metadata": {
            "species": "mouse",
            "age": 42,
            "labels": ["a", "b"],
            "extra": "one more",
        },
        "teams": [team[0]],
        "folder": published.id,
    }
    assert written == expected
    assert _wkfn_properties(wkserver.url, wkserver.sample.id) == expected

    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(wkserver.sample.id)
        ds.description = "written by wkfn"
        ds.tags = ["wkfn"]
        ds.is_public = False
        ds.metadata = {"species": "fly"}
        ds.metadata["count"] = 7
        del ds.metadata["species"]
        ds.allowed_teams = [wk.Team.get_by_name(f"{ORG}_lab_b")]
        ds.folder = wk.RemoteFolder.get_root()
        ds.display_name = "renamed_by_wkfn"
    lab_b = next(t.id for t in state.teams.values() if t.name == f"{ORG}_lab_b")
    read_back = ref(PROPERTY_SCENARIO, **params, write=False)
    assert read_back == {
        "name": "renamed_by_wkfn",
        "description": "written by wkfn",
        "tags": ["wkfn"],
        "is_public": False,
        "metadata": {"count": 7},
        "teams": [lab_b],
        "folder": state.root_folder(ORG).id,
    }
    assert read_back == _wkfn_properties(wkserver.url, wkserver.sample.id)


LINK_SCENARIO = """
import warnings
warnings.simplefilter("ignore")
with wk.webknossos_context(url=P["url"], token=P["token"]):
    local = wk.Dataset.open(P["local"])
    link = wk.LayerToLink(P["id"], "color", "color_ref")
    up = local.upload(new_dataset_name="linked_by_ref", layers_to_link=[link])
    print(json.dumps({"id": up.dataset_id, "layers": sorted(up.layers)}))
"""


def test_reference_links_layers_like_wkfn(
    wkserver: Wk, ref: Any, tmp_path: Path
) -> None:
    local = wk.Dataset.open(wkserver.sample_path).copy_dataset(
        tmp_path / "seg_only", layers_to_ignore=["color"]
    )
    theirs = ref(
        LINK_SCENARIO,
        url=wkserver.url,
        token=TOKEN,
        id=wkserver.sample.id,
        local=str(local.path),
    )
    assert theirs["layers"] == ["color_ref", "segmentation"]
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        linked = wk.Dataset.open_remote(theirs["id"])
        ours = local.upload(
            "linked_by_wkfn",
            layers_to_link=[wk.LayerToLink(wkserver.sample.id, "color", "color_ref")],
        )
    sample = summary(wk.Dataset.open(wkserver.sample_path))
    for ds in (linked, ours):
        got = summary(ds)
        assert got["color_ref"] == sample["color"]
        assert got["segmentation"] == sample["segmentation"]


def test_transcoded_zarr_streaming_reads_alike(
    wkserver: Wk, ref: Any, tmp_path: Path
) -> None:
    """The datastore's own zarr3 form (unsharded, F order, '.' keys) is read the
    same by both clients, and a download from it equals the source."""
    wkserver.server.transcode = True
    params = {
        "url": wkserver.url,
        "token": TOKEN,
        "name": SAMPLE_NAME,
        "id": wkserver.sample.id,
        "org": ORG,
    }
    theirs = ref(READ_SCENARIO, **params)
    ours = _wkfn_read_scenario(wkserver, params)
    local = summary(wk.Dataset.open(wkserver.sample_path))
    for key in ("by_name", "by_id", "by_url", "by_old_url", "by_link"):
        assert theirs[key] == ours[key] == local, key
    assert ours["region"] == theirs["region"]
    assert wkserver.server.requests("GET", r"/color/1/c\.0\.\d+\.\d+\.\d+$")
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        downloaded = wk.Dataset.download(SAMPLE_NAME, path=tmp_path / "dl")
    assert summary(downloaded) == local


WKW_UPLOAD_SCENARIO = (
    SUMMARY
    + """
import warnings
warnings.simplefilter("ignore")
with wk.webknossos_context(url=P["url"], token=P["token"]):
    up = wk.Dataset.open(P["local"]).upload(new_dataset_name=P["name"])
    other = wk.RemoteDataset.open(P["other"])
    print(json.dumps({"own": summary(up), "other": summary(other)}))
"""
)


def _wkw_dataset(path: Path) -> wk.Dataset:
    rng = np.random.default_rng(11)
    ds = wk.Dataset(path, voxel_size=(4, 4, 40), exist_ok=False)
    color = ds.add_layer("color", "color", dtype_per_channel="uint8", data_format="wkw")
    color.add_mag(1).write(
        rng.integers(0, 255, (50, 40, 30), dtype=np.uint8),
        absolute_offset=(3, 5, 7),
        allow_resize=True,
    )
    color.downsample_mag((1, 1, 1), (2, 2, 1))
    seg = ds.add_layer(
        "segmentation",
        "segmentation",
        dtype_per_channel="uint32",
        largest_segment_id=5,
        data_format="wkw",
    )
    seg.add_mag(1).write(
        rng.integers(0, 6, (40, 30, 20), dtype=np.uint32),
        absolute_offset=(0, 0, 0),
        allow_resize=True,
    )
    seg.downsample_mag((1, 1, 1), (2, 2, 1))
    return ds


def test_wkw_dataset_uploads_alike_and_reads_back_equal(
    wkserver: Wk, ref: Any, tmp_path: Path
) -> None:
    """A wkw dataset uploaded by wkfn and by the reference is stored as wkw and read
    back through the server (transcoded zarr streaming, as the real datastore
    serves wkw) equal to the local voxels, by both clients."""
    local = _wkw_dataset(tmp_path / "wkw_local")
    expected = summary(local)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        plan = local.upload("wkw_by_wkfn", dry_run=True)
        assert any(f.relpath == "color/1/header.wkw" for f in plan.files)
        ours = local.upload("wkw_by_wkfn", jobs=2)
    theirs = ref(
        WKW_UPLOAD_SCENARIO,
        url=wkserver.url,
        token=TOKEN,
        local=str(local.path),
        name="wkw_by_ref",
        other=ours.dataset_id,
    )
    assert theirs["own"] == expected  # the reference's upload, read by itself
    assert theirs["other"] == expected  # wkfn's upload, read by the reference
    assert summary(ours) == expected
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        by_ref = wk.Dataset.open_remote("wkw_by_ref")
        assert summary(by_ref) == expected
        downloaded = wk.Dataset.download("wkw_by_wkfn", path=tmp_path / "dl")
    assert summary(downloaded) == expected
    state = wkserver.server.state
    for rec in (state.datasets[ours.dataset_id], state.datasets[by_ref.dataset_id]):
        assert (rec.path / "color" / "1" / "header.wkw").is_file()
        assert (rec.path / "segmentation" / "2-2-1" / "header.wkw").is_file()
