"""``wkfn upload`` / ``wkfn download`` run as real subprocesses against the test
server: dry runs print the plan with byte counts and change nothing, the server and
token come from options or WK_URL / WK_TOKEN, partial downloads, linked layers, and
one-line errors with exit code 1 that never show a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from remote_helpers import ORG, SAMPLE_NAME, TOKEN, Wk

import wkfn as wk


def wkfn_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("WK_URL", "WK_TOKEN")} | {
        "WKFN_CACHE_DIR": str(cwd / "cache")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "wkfn.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full | (env or {}),
        timeout=300,
        check=False,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert err.startswith("error:") and "\n" not in err, err
    assert "Traceback" not in proc.stderr
    return err


def test_download_dry_run_then_partial_download_with_env(
    wkserver: Wk, tmp_path: Path
) -> None:
    env = {"WK_URL": wkserver.url, "WK_TOKEN": TOKEN}
    args = ["download", "part", "--dataset", SAMPLE_NAME, "--layers", "color"]
    args += ["--mags", "1", "--bbox", "16,24,8,32,32,16"]
    dry = wkfn_cli(*args, "--dry-run", cwd=tmp_path, env=env).stdout
    assert "16384 B to fetch" in dry and "~ copy color/1" in dry
    assert not (tmp_path / "part").exists()
    out = wkfn_cli(*args, cwd=tmp_path, env=env).stdout
    assert "downloaded" in out
    ds = wk.Dataset.open(tmp_path / "part")
    box = wk.BoundingBox((16, 24, 8), (32, 32, 16))
    assert list(ds.layers) == ["color"] and ds.get_layer("color").bounding_box == box
    local = wk.Dataset.open(wkserver.sample_path).get_layer("color").get_mag(1)
    np.testing.assert_array_equal(
        ds.get_layer("color").get_mag(1).read(), local.read(absolute_bounding_box=box)
    )
    # the same download again does nothing; another one there is refused
    wkfn_cli(*args, cwd=tmp_path, env=env)
    refused = wkfn_cli(
        "download", "part", "--dataset", SAMPLE_NAME, cwd=tmp_path, env=env, ok=False
    )
    assert "exist" in _one_line_error(refused)


def test_download_of_a_sharing_link_in_url_like_the_reference(
    wkserver: Wk, tmp_path: Path
) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        sharing = wk.Dataset.open_remote(SAMPLE_NAME).sharing_token
    link = f"{wkserver.url}/datasets/{wkserver.sample.id}/view?token={sharing}"
    dry = wkfn_cli("download", "full", "--url", link, "--dry-run", cwd=tmp_path)
    assert sharing not in dry.stdout + dry.stderr
    out = wkfn_cli("download", "full", "--url", link, "--mag", "2-2-1", cwd=tmp_path)
    assert sharing not in out.stdout + out.stderr
    ds = wk.Dataset.open(tmp_path / "full")
    local = wk.Dataset.open(wkserver.sample_path)
    assert sorted(ds.layers) == ["color", "segmentation"]
    for name in ds.layers:
        assert list(ds.get_layer(name).mags) == [wk.Mag("2-2-1")]
        np.testing.assert_array_equal(
            ds.get_layer(name).get_mag("2-2-1").read(),
            local.get_layer(name).get_mag("2-2-1").read(),
        )


def test_download_errors_are_one_line_without_tokens(
    wkserver: Wk, tmp_path: Path
) -> None:
    base = ["download", "x", "--url", wkserver.url]
    unknown = wkfn_cli(
        *base, "--dataset", "nope", "--token", TOKEN, cwd=tmp_path, ok=False
    )
    assert "'nope'" in _one_line_error(unknown)
    expired = "expired-token-0000000000"
    denied = wkfn_cli(
        *base,
        "--dataset",
        wkserver.sample.id,
        "--token",
        expired,
        cwd=tmp_path,
        ok=False,
    )
    err = _one_line_error(denied)
    assert ("401" in err or "403" in err) and expired not in err
    bad_box = wkfn_cli(
        *base,
        "--dataset",
        SAMPLE_NAME,
        "--token",
        TOKEN,
        "--bbox",
        "1,2,3",
        cwd=tmp_path,
        ok=False,
    )
    assert "--bbox" in _one_line_error(bad_box)
    no_dataset = wkfn_cli(*base, cwd=tmp_path, ok=False)
    assert "--dataset" in _one_line_error(no_dataset)
    bad_mag = wkfn_cli(
        *base,
        "--dataset",
        SAMPLE_NAME,
        "--token",
        TOKEN,
        "--mags",
        "4",
        cwd=tmp_path,
        ok=False,
    )
    assert "has no mag 4" in _one_line_error(bad_mag)
    assert not (tmp_path / "x").exists()


def test_upload_dry_run_upload_with_links_and_refused_name(
    wkserver: Wk, tmp_path: Path
) -> None:
    local = wk.Dataset.open(wkserver.sample_path)
    base = [
        "upload",
        str(wkserver.sample_path),
        "--url",
        wkserver.url,
        "--token",
        TOKEN,
    ]
    dry = wkfn_cli(*base, "--new-name", "dry", "--dry-run", cwd=tmp_path).stdout
    assert f"-> {wkserver.url} as 'dry'" in dry and "+ send color/1/zarr.json" in dry
    assert TOKEN not in dry
    assert not wkserver.server.requests("POST", "reserveUpload")

    out = wkfn_cli(*base, "--new-name", "by_cli", "--jobs", "2", cwd=tmp_path).stdout
    assert "uploaded" in out and "by_cli" in out
    link = f"{wkserver.sample.id}:color"  # the local color layer is not sent
    linked_dry = wkfn_cli(*base, "--link", link, "--dry-run", cwd=tmp_path).stdout
    assert "- leave out local layer color (linked instead)" in linked_dry
    assert "color/1/zarr.json" not in linked_dry
    linked_out = wkfn_cli(
        *base,
        "--new-name",
        "linked_cli",
        "--link",
        link,
        "--folder",
        f"{ORG}/Published",
        cwd=tmp_path,
    ).stdout
    assert "linked_cli" in linked_out
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        up = wk.Dataset.open_remote("by_cli")
        linked = wk.Dataset.open_remote("linked_cli")
        assert linked.folder.name == "Published"
        for name in ("color", "segmentation"):
            np.testing.assert_array_equal(
                up.get_layer(name).get_mag(1).read(),
                local.get_layer(name).get_mag(1).read(),
            )
        assert sorted(linked.layers) == ["color", "segmentation"]
        np.testing.assert_array_equal(
            linked.get_layer("color").get_mag(1).read(),
            local.get_layer("color").get_mag(1).read(),
        )

    refused = wkfn_cli(*base, "--new-name", "bad name!", cwd=tmp_path, ok=False)
    assert "bad name!" in _one_line_error(refused)
    no_token = wkfn_cli(
        "upload",
        str(wkserver.sample_path),
        "--url",
        wkserver.url,
        "--new-name",
        "anon",
        cwd=tmp_path,
        ok=False,
    )
    assert "401" in _one_line_error(no_token) or "403" in no_token.stderr
    bad_link = wkfn_cli(*base, "--link", "only-an-id", cwd=tmp_path, ok=False)
    assert "--link" in _one_line_error(bad_link)
