"""`wkfn serve`: the real server on 127.0.0.1, read by wkfn, tensorstore's http
kvstore and the reference library, byte ranges, CORS, read-only, no traversal."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from picture_helpers import SHAPE, TOPLEFT

import wkfn as wk
from wkfn.errors import DatasetNotFoundError
from wkfn.visual.preview import preview_image
from wkfn.visual.server import DatasetServer, parse_range

PROPS = "datasource-properties.json"


@pytest.fixture
def served(picture_dataset: Path) -> Iterator[DatasetServer]:
    with DatasetServer(picture_dataset, port=0) as server:
        yield server


def request(
    server: DatasetServer,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One raw request (the path is sent exactly as given, no normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# ------------------------------------------------------------------ readers


def test_dataset_open_url_reads_what_is_on_disk(
    served: DatasetServer, picture_dataset: Path
) -> None:
    remote = wk.Dataset.open(served.url)
    local = wk.Dataset.open(picture_dataset)
    assert list(remote.layers) == list(local.layers) == ["color", "seg", "rgb", "plain"]
    for name, layer in local.layers.items():
        for mag, view in layer.mags.items():
            theirs = remote.get_layer(name).get_mag(mag).read()
            assert digest(theirs) == digest(view.read()), (name, mag)


@pytest.mark.parametrize(
    ("path", "driver"),
    [("color/1", "zarr3"), ("color/2-2-1", "zarr3"), ("seg/1", "zarr")],
)
def test_tensorstore_http_kvstore_reads_what_is_on_disk(
    served: DatasetServer, picture_dataset: Path, path: str, driver: str
) -> None:
    import tensorstore as ts

    over_http = ts.open(
        {
            "driver": driver,
            "kvstore": {"driver": "http", "base_url": served.url + path + "/"},
        }
    ).result()
    on_disk = ts.open(
        {
            "driver": driver,
            "kvstore": {"driver": "file", "path": str(picture_dataset / path)},
        }
    ).result()
    assert over_http.shape == on_disk.shape
    # the layer's box at this mag (the array's extent is much larger, and empty)
    mag = (2, 2, 1) if path.endswith("2-2-1") else (1, 1, 1)
    box = tuple(slice(t // m, -(-(t + s) // m)) for t, s, m in zip(TOPLEFT, SHAPE, mag))
    theirs = over_http[(slice(None), *box)].read().result()
    ours = on_disk[(slice(None), *box)].read().result()
    assert theirs.any() and digest(theirs) == digest(ours)


def test_reference_reads_the_served_dataset(
    ref: Any, served: DatasetServer, picture_dataset: Path
) -> None:
    got = ref(
        """
ds = wk.Dataset.open(P["url"])
out = {}
for name, layer in ds.layers.items():
    for mag, view in layer.mags.items():
        data = np.ascontiguousarray(view.read())
        key = f"{name}/{mag.to_layer_name()}"
        out[key] = hashlib.sha256(data.tobytes()).hexdigest()
print(json.dumps(out))
""",
        url=served.url,
    )
    local = wk.Dataset.open(picture_dataset)
    expected = {
        f"{name}/{mag.to_layer_name()}": digest(view.read())
        for name, layer in local.layers.items()
        for mag, view in layer.mags.items()
    }
    assert got == expected


# ------------------------------------------------------------------ HTTP


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 10)),
        ("bytes=5-", (5, 100)),
        ("bytes=-4", (96, 100)),
        ("bytes=90-200", (90, 100)),
        ("bytes=-200", (0, 100)),
        ("bytes=100-", "unsatisfiable"),
        ("bytes=-0", "unsatisfiable"),
        ("bytes=5-2", "unsatisfiable"),
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str, expected: Any) -> None:
    assert parse_range(header, 100) == expected


def test_byte_ranges(served: DatasetServer, picture_dataset: Path) -> None:
    data = (picture_dataset / PROPS).read_bytes()
    n = len(data)
    status, headers, body = request(served, "GET", f"/{PROPS}", {"Range": "bytes=0-9"})
    assert (status, body) == (206, data[:10])
    assert headers["content-range"] == f"bytes 0-9/{n}"
    assert headers["content-length"] == "10"
    assert headers["accept-ranges"] == "bytes"
    status, headers, body = request(served, "GET", f"/{PROPS}", {"Range": "bytes=-7"})
    assert (status, body) == (206, data[-7:])
    status, headers, body = request(served, "GET", f"/{PROPS}", {"Range": "bytes=20-"})
    assert (status, body) == (206, data[20:])
    status, headers, _ = request(served, "GET", f"/{PROPS}", {"Range": f"bytes={n}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{n}"
    status, _, body = request(served, "GET", f"/{PROPS}", {"Range": "bytes=0-1,4-5"})
    assert (status, body) == (200, data)
    status, headers, body = request(served, "HEAD", f"/{PROPS}")
    assert (status, body, headers["content-length"]) == (200, b"", str(n))
    assert headers["content-type"] == "application/json"
    status, _, _ = request(served, "GET", "/color/1/no-such-chunk")
    assert status == 404


def test_cors_headers_and_preflight(served: DatasetServer) -> None:
    status, headers, _ = request(
        served, "GET", f"/{PROPS}", {"Origin": "https://neuroglancer-demo.appspot.com"}
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    exposed = {
        h.strip().lower() for h in headers["access-control-expose-headers"].split(",")
    }
    assert {"content-range", "content-length"} <= exposed
    status, headers, body = request(
        served,
        "OPTIONS",
        "/color/zarr.json",
        {
            "Origin": "https://neuroglancer-demo.appspot.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    assert (status, body) == (204, b"")
    assert headers["access-control-allow-origin"] == "*"
    assert "GET" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "range"


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_read_only(served: DatasetServer, picture_dataset: Path, method: str) -> None:
    before = (picture_dataset / PROPS).read_bytes()
    for path in (f"/{PROPS}", "/color/new-file"):
        status, headers, _ = request(served, method, path, body=b"{}")
        assert status == 405
        assert headers["allow"] == "GET, HEAD, OPTIONS"
        assert headers["connection"] == "close"  # the unread body goes nowhere
        assert headers["access-control-allow-origin"] == "*"
    assert (picture_dataset / PROPS).read_bytes() == before
    assert not (picture_dataset / "color" / "new-file").exists()


@pytest.fixture
def fenced(tmp_path: Path) -> Path:
    """A dataset with a secret beside it and symlinks inside it pointing out."""
    root = tmp_path / "ds"
    wk.Dataset(root, voxel_size=(1, 1, 1))
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.symlink(tmp_path, root / "up")
    return root


TRAVERSALS = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/./../secret.txt",
    "/ds/../../secret.txt",
    "/..%5csecret.txt",
    "/%00/../secret.txt",
    "//" + "secret.txt",
    "/link.txt",
    "/up/secret.txt",
]


def test_no_path_traversal(fenced: Path) -> None:
    with DatasetServer(fenced, port=0) as server:
        for path in TRAVERSALS:
            status, _, body = request(server, "GET", path)
            assert status in (403, 404), path
            assert b"TOP-SECRET" not in body, path
        assert request(server, "GET", f"/{PROPS}")[0] == 200
    # symlinked files are the owner's choice: served only when asked to
    with DatasetServer(fenced, port=0, follow_symlinks=True) as server:
        assert request(server, "GET", "/link.txt")[2] == b"TOP-SECRET"
        assert request(server, "GET", "/../secret.txt")[0] == 403


def test_index_page_state_and_previews(
    served: DatasetServer, picture_dataset: Path
) -> None:
    from PIL import Image

    status, headers, body = request(served, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    for name in ("color", "seg", "rgb", "plain"):
        assert f"<h2>{name}</h2>" in page
        assert f'src="/.wkfn/preview/{name}.png"' in page
    link = re.search(r'id="neuroglancer" href="([^"]+)"', page)
    assert link is not None
    fragment = link.group(1).replace("&amp;", "&").split("#!", 1)[1]
    state = json.loads(urllib.parse.unquote(fragment))
    port = served.port
    assert [
        (layer["name"], layer["type"], layer["source"]) for layer in state["layers"]
    ] == [
        ("color", "image", f"zarr3://http://127.0.0.1:{port}/color/"),
        ("seg", "segmentation", f"zarr2://http://127.0.0.1:{port}/seg/"),
        ("rgb", "image", f"zarr3://http://127.0.0.1:{port}/rgb/"),
        ("plain", "image", f"zarr3://http://127.0.0.1:{port}/plain/"),
    ]
    status, _, body = request(served, "GET", "/.wkfn/neuroglancer.json")
    assert status == 200 and json.loads(body) == state
    status, headers, body = request(served, "GET", "/.wkfn/preview/seg.png?index=9")
    assert status == 200 and headers["content-type"] == "image/png"
    image = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
    assert np.array_equal(image, preview_image(picture_dataset, layer="seg", index=9))
    status, _, body = request(served, "GET", "/.wkfn/preview/nope.png")
    assert status == 404 and b"nope" in body
    status, _, _ = request(served, "GET", "/.wkfn/preview/color.png?index=999")
    assert status == 404


def test_server_refuses_a_folder_without_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"datasource-properties\.json"):
        DatasetServer(tmp_path, port=0)


# ------------------------------------------------------------------ command line


def test_cli_serve_prints_url_and_link(picture_dataset: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wkfn.cli",
            "serve",
            str(picture_dataset),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"read-only at (http://127\.0\.0\.1:(\d+)/)", first)
        assert match is not None, first + (proc.stderr.read() if proc.poll() else "")
        url = match.group(1)
        assert (
            proc.stdout.readline().strip() == f"open it with wkfn.Dataset.open({url!r})"
        )
        link = proc.stdout.readline()
        assert link.startswith("neuroglancer: https://neuroglancer-demo.appspot.com/#!")
        state = json.loads(urllib.parse.unquote(link.split("#!", 1)[1]))
        assert len(state["layers"]) == 4
        ds = wk.Dataset.open(url)
        assert digest(ds.get_layer("color").get_mag(1).read()) == digest(
            wk.Dataset.open(picture_dataset).get_layer("color").get_mag(1).read()
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_serve_bad_input(tmp_path: Path, served: DatasetServer) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wkfn.cli", "serve", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    proc = run(str(tmp_path))
    assert proc.returncode == 1
    assert (
        proc.stderr.startswith("error: no dataset at") and proc.stderr.count("\n") == 1
    )
    taken = run(str(served._httpd.root), "--port", str(served.port))
    assert taken.returncode == 1
    assert taken.stderr.startswith(f"error: cannot listen on 127.0.0.1:{served.port}")


def test_a_broken_dataset_is_a_500_not_a_dropped_connection(fenced: Path) -> None:
    with DatasetServer(fenced, port=0) as server:
        (fenced / PROPS).write_text("{not json")
        status, _, body = request(server, "GET", "/")
        assert status == 500 and body.startswith(b"error: PropertiesError")
        # plain files are still served
        assert request(server, "GET", f"/{PROPS}")[2] == b"{not json"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 300), st.integers(0, 300), st.booleans())
def test_any_single_range_returns_those_bytes(
    served: DatasetServer, picture_dataset: Path, first: int, last: int, suffix: bool
) -> None:
    data = (picture_dataset / PROPS).read_bytes()
    header = f"bytes=-{last}" if suffix else f"bytes={first}-{last}"
    status, headers, body = request(served, "GET", f"/{PROPS}", {"Range": header})
    expected = data[len(data) - last :] if suffix else data[first : last + 1]
    if (suffix and last == 0) or (not suffix and (first > last or first >= len(data))):
        assert status == 416
        return
    assert (status, body) == (206, expected)
    start = len(data) - len(expected) if suffix else first
    assert (
        headers["content-range"] == f"bytes {start}-{start + len(body) - 1}/{len(data)}"
    )
