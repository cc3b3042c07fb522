"""Datasets read over HTTP: a real loopback server serves a dataset directory.

The server (``http.server`` in a thread) answers GET and HEAD with byte ranges
(``bytes=a-b``, ``bytes=a-``, ``bytes=-n`` → 206), as tensorstore's ``http`` kvstore
needs for sharded zarr3, and can demand a token header or query parameter, fail the
first requests with 503 and log every request. Every remote read is compared bit
for bit with the same read of the local dataset.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import shutil
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import DatasetNotFoundError, ReadOnlyError, StorageError
from wkfn.storage import arrays, remote
from wkfn.storage.remote import (
    RemoteAuthError,
    RemoteError,
    RemoteNotFoundError,
    UrlPath,
)

PROPS = "datasource-properties.json"

# --------------------------------------------------------------------------- server


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class Server:
    """State of one test server (what it demands, what it saw)."""

    root: Path
    header_token: str | None = None
    query_token: str | None = None
    fail_properties: int = 0
    """Answer this many properties requests with 503 before serving the file."""
    log: list[Request] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def properties_requests(self) -> list[Request]:
        return [r for r in self.log if r.path.endswith(PROPS)]


def _handler(state: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(parts.path)
            query = urllib.parse.parse_qs(parts.query)
            state.log.append(
                Request(
                    self.command,
                    path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                )
            )
            if state.header_token is not None and (
                self.headers.get("X-Auth-Token") != state.header_token
            ):
                self._reply(401)
                return
            if state.query_token is not None and (
                query.get("token") != [state.query_token]
            ):
                self._reply(403)
                return
            if path.endswith(PROPS) and state.fail_properties > 0:
                state.fail_properties -= 1
                self._reply(503, Retry_After="0")
                return
            target = (state.root / path.lstrip("/")).resolve()
            if state.root not in target.parents or not target.is_file():
                self._reply(404)
                return
            data = target.read_bytes()
            rng = self.headers.get("Range")
            if rng is None:
                self._reply(200, data)
                return
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if match is None or match.groups() == ("", ""):
                self._reply(400)
                return
            first, last = match.groups()
            if first == "":
                start, stop = max(len(data) - int(last), 0), len(data)
            else:
                start = int(first)
                stop = min(int(last) + 1, len(data)) if last else len(data)
            if start >= len(data) or stop <= start:
                self._reply(416, Content_Range=f"bytes */{len(data)}")
                return
            self._reply(
                206,
                data[start:stop],
                Content_Range=f"bytes {start}-{stop - 1}/{len(data)}",
            )

        def do_HEAD(self) -> None:
            self.do_GET()

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """``serve(root, **demands)`` starts a server for ``root``; stopped at teardown."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(root: Path, **options: Any) -> Server:
        state = Server(root=root.resolve(), **options)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        httpd.daemon_threads = True
        state.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return state

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WK_TOKEN", raising=False)


# --------------------------------------------------------------------------- data

BOX_TOPLEFT = (16, 32, 8)
BOX_SIZE = (150, 90, 70)


def _random(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> Any:
    info = np.iinfo(np.dtype(dtype))
    return rng.integers(1, min(int(info.max), 2**31), size=shape, dtype=dtype)


def _fill(layer: Any, rng: np.random.Generator, channels: int, dtype: str) -> None:
    mag1 = layer.get_mag(1)
    mag1.write(
        _random(rng, (channels, *BOX_SIZE), dtype),
        absolute_offset=BOX_TOPLEFT,
        allow_resize=True,
        allow_unaligned=True,
    )
    mag2 = layer.get_mag(2)
    mag2.write(
        _random(rng, (channels, *(s // 2 for s in BOX_SIZE)), dtype),
        absolute_offset=BOX_TOPLEFT,
        allow_unaligned=True,
    )


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<root>/ds``: zarr3 (sharded, zstd), zarr v2 and a segmentation layer."""
    root = tmp_path_factory.mktemp("served")
    rng = np.random.default_rng(7)
    ds = wk.Dataset(root / "ds", voxel_size=(11.2, 11.2, 25.0), exist_ok=False)
    color = ds.add_layer("color", "color", dtype_per_channel="uint8", num_channels=3)
    for mag in (1, 2):
        color.add_mag(mag, chunk_shape=32, shard_shape=64, compress=True)
    _fill(color, rng, 3, "uint8")
    v2 = ds.add_layer(
        "color_v2", "color", dtype_per_channel="uint16", data_format="zarr"
    )
    for mag in (1, 2):
        v2.add_mag(mag, chunk_shape=32, compress=True)
    _fill(v2, rng, 1, "uint16")
    seg = ds.add_layer(
        "segmentation",
        "segmentation",
        dtype_per_channel="uint32",
        largest_segment_id=2**31,
    )
    for mag in (1, 2):
        seg.add_mag(mag, chunk_shape=32, shard_shape=64, compress=True)
    _fill(seg, rng, 1, "uint32")
    return root


# --------------------------------------------------------------------------- reads

READS: list[tuple[tuple[int, int, int], tuple[int, int, int]]] = [
    ((20, 40, 10), (64, 30, 22)),  # inside, unaligned with shards
    ((150, 100, 60), (40, 40, 40)),  # crosses the bounding box and the array shape
    ((1000, 1000, 1000), (8, 8, 8)),  # far outside: zeros
    ((0, 0, 0), (20, 34, 10)),  # before the bounding box starts
]


def _chunk_digests(view: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def record(args: tuple[Any, int]) -> None:
        sub, _index = args
        out.append(
            (repr(sub.bounding_box), hashlib.sha256(sub.read().tobytes()).hexdigest())
        )

    view.for_each_chunk(record)
    return sorted(out)


def _assert_same(got: Any, want: Any) -> None:
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def test_remote_reads_match_local_bit_for_bit(
    dataset_dir: Path, serve: Callable[..., Server]
) -> None:
    server = serve(dataset_dir)
    local = wk.Dataset.open(dataset_dir / "ds", read_only=True)
    ds = wk.Dataset.open(server.url("ds/"), read_only=False)

    assert ds.read_only
    assert isinstance(ds.path, UrlPath) and str(ds.path) == server.url("ds")
    assert ds.name == local.name and ds.voxel_size == local.voxel_size
    assert list(ds.layers) == ["color", "color_v2", "segmentation"]
    for name, mine in local.layers.items():
        theirs = ds.get_layer(name)
        assert theirs.category == mine.category
        assert theirs.dtype_per_channel == mine.dtype_per_channel
        assert theirs.num_channels == mine.num_channels
        assert theirs.bounding_box == mine.bounding_box
        assert list(theirs.mags) == list(mine.mags)
        if mine.category == "segmentation":
            assert theirs.largest_segment_id == mine.largest_segment_id == 2**31
        for mag, want in mine.mags.items():
            got = theirs.get_mag(mag)
            assert got.info == want.info
            assert isinstance(got.path, UrlPath)
            assert str(got.path) == server.url(f"ds/{name}/{mag.to_layer_name()}")
            _assert_same(got.read(), want.read())
            for offset, size in READS:
                _assert_same(
                    got.read(absolute_offset=offset, size=size),
                    want.read(absolute_offset=offset, size=size),
                )
            outside = got.read(absolute_offset=(1000, 1000, 1000), size=(8, 8, 8))
            assert not outside.any()
            view_args = {"absolute_offset": (48, 40, 12), "size": (66, 50, 40)}
            _assert_same(
                got.get_view(**view_args).read(), want.get_view(**view_args).read()
            )
            assert _chunk_digests(got) == _chunk_digests(want)

    # the sharded zarr3 mags really were read by byte ranges, suffix ones included
    ranges = [
        r.headers["range"]
        for r in server.log
        if r.path.startswith("/ds/color/1/c/") and "range" in r.headers
    ]
    assert any(re.fullmatch(r"bytes=-\d+", r) for r in ranges)
    assert any(re.fullmatch(r"bytes=\d+-\d+", r) for r in ranges)
    # zarr v2 chunks are whole-file GETs
    assert any(r.path.startswith("/ds/color_v2/1/0/") for r in server.log)


def test_relative_and_absolute_url_mag_paths(
    dataset_dir: Path, tmp_path: Path, serve: Callable[..., Server]
) -> None:
    root = tmp_path / "root"
    shutil.copytree(dataset_dir / "ds", root / "ds")
    server = serve(root)
    other = server.url("ds/color/2")
    props = json.loads((root / "ds" / PROPS).read_text())
    layer = next(x for x in props["dataLayers"] if x["name"] == "color")
    for mag in layer["mags"]:
        mag["path"] = "../ds/color/1" if mag["mag"] == [1, 1, 1] else other
    (root / "refs").mkdir()
    (root / "refs" / PROPS).write_text(json.dumps(props))

    ds = wk.Dataset.open(server.url("refs"))
    local = wk.Dataset.open(root / "ds").get_layer("color")
    color = ds.get_layer("color")
    assert color.session.mag_path("color", wk.Mag(1)) == server.url("ds/color/1")
    assert color.session.mag_path("color", wk.Mag(2)) == other
    for mag in (1, 2):
        _assert_same(color.get_mag(mag).read(), local.get_mag(mag).read())
    assert not any(r.path.startswith("/refs/color/") for r in server.log)


def test_url_helpers() -> None:
    root = UrlPath("https://Host:8080/a/ds/?sharingToken=x&b=1#frag")
    assert str(root) == "https://Host:8080/a/ds?sharingToken=x&b=1"
    assert root / "color" == UrlPath("https://Host:8080/a/ds/color?sharingToken=x&b=1")
    assert root.parent.name == "a"
    assert remote.join(root, "./color/1") == (
        "https://Host:8080/a/ds/color/1?sharingToken=x&b=1"
    )
    assert remote.join(root, "../other/color/2-2-1").startswith(
        "https://Host:8080/a/other/color/2-2-1?"
    )
    assert remote.join(root, "/srv/x").startswith("https://Host:8080/srv/x?")
    assert remote.join(root, "my layer/1").startswith(
        "https://Host:8080/a/ds/my%20layer/1?"
    )
    with pytest.raises(StorageError, match="s3://"):
        remote.join(root, "s3://bucket/color/1")
    assert remote.is_url("HTTPS://x/y") and remote.is_url(root)
    assert not remote.is_url(Path("http://x/y")) and not remote.is_url("/tmp/x")
    assert "x&" not in repr(root) and "sharingToken=***" in repr(root)


# --------------------------------------------------------------------------- auth


def test_token_header_from_wk_token(
    dataset_dir: Path, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(dataset_dir, header_token="s3cret")
    with pytest.raises(RemoteAuthError) as info:
        wk.Dataset.open(server.url("ds"))
    assert isinstance(info.value, PermissionError) and info.value.status == 401
    assert server.url("ds/" + PROPS) in str(info.value)
    assert "WK_TOKEN" in str(info.value)

    monkeypatch.setenv("WK_TOKEN", "s3cret")
    ds = wk.Dataset.open(server.url("ds"))
    local = wk.Dataset.open(dataset_dir / "ds")
    for name in ("color", "color_v2"):
        _assert_same(
            ds.get_layer(name).get_mag(1).read(),
            local.get_layer(name).get_mag(1).read(),
        )
    assert server.log[0].headers.get("x-auth-token") is None
    assert all(r.headers["x-auth-token"] == "s3cret" for r in server.log[1:])
    assert any("/ds/color/1/c/" in r.path for r in server.log)

    monkeypatch.setenv("WK_TOKEN", "wrong")
    with pytest.raises(RemoteAuthError, match="refused"):
        wk.Dataset.open(server.url("ds"))


def test_sharing_token_in_query_is_kept(
    dataset_dir: Path, serve: Callable[..., Server]
) -> None:
    server = serve(dataset_dir, query_token="abc")
    with pytest.raises(RemoteAuthError) as info:
        wk.Dataset.open(server.url("ds"))
    assert info.value.status == 403
    ds = wk.Dataset.open(server.url("ds/?token=abc"))
    local = wk.Dataset.open(dataset_dir / "ds")
    for name in ("color", "color_v2", "segmentation"):
        _assert_same(
            ds.get_layer(name).get_mag(2).read(),
            local.get_layer(name).get_mag(2).read(),
        )
    served = server.log[1:]
    assert len(served) > 5
    assert all(r.query.get("token") == ["abc"] for r in served)
    assert "abc" not in repr(ds)


def test_token_is_not_leaked_in_errors(
    dataset_dir: Path, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(dataset_dir)
    monkeypatch.setenv("WK_TOKEN", "hush-hush")
    with pytest.raises(StorageError) as info:
        arrays.open_array(server.url("ds/missing/1?token=qwerty"), "zarr3")
    assert "hush-hush" not in str(info.value) and "qwerty" not in str(info.value)
    assert "missing/1" in str(info.value)


# --------------------------------------------------------------------------- errors


def test_missing_dataset_names_the_url(
    dataset_dir: Path, serve: Callable[..., Server]
) -> None:
    server = serve(dataset_dir)
    with pytest.raises(RemoteNotFoundError) as info:
        wk.Dataset.open(server.url("nope/"))
    assert isinstance(info.value, DatasetNotFoundError)
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.status == 404
    assert server.url("nope/" + PROPS) in str(info.value)
    assert len(server.log) == 1  # a 404 is not retried


def test_transient_503_is_retried(
    dataset_dir: Path, serve: Callable[..., Server]
) -> None:
    server = serve(dataset_dir, fail_properties=1)
    ds = wk.Dataset.open(server.url("ds"))
    assert ds.get_layer("color").bounding_box.topleft.to_tuple() == BOX_TOPLEFT
    assert len(server.properties_requests()) == 2


def test_retries_are_bounded(
    dataset_dir: Path, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "BACKOFF_SECONDS", 0.01)
    server = serve(dataset_dir, fail_properties=100)
    with pytest.raises(RemoteError) as info:
        wk.Dataset.open(server.url("ds"))
    assert info.value.status == 503
    assert f"after {remote.RETRIES + 1} attempts" in str(info.value)
    assert len(server.properties_requests()) == remote.RETRIES + 1

    # nothing listens: connection errors are retried too, then reported
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/ds"
    with pytest.raises(RemoteError) as info:
        wk.Dataset.open(dead)
    assert info.value.status is None
    assert f"{dead}/{PROPS}" in str(info.value)
    assert f"after {remote.RETRIES + 1} attempts" in str(info.value)


def test_wkw_over_http_is_refused(tmp_path: Path, serve: Callable[..., Server]) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1), exist_ok=False)
    layer = ds.add_layer("w", "color", data_format="wkw")
    layer.add_mag(1).write(np.ones((32, 32, 32), np.uint8), allow_resize=True)
    server = serve(tmp_path)
    remote_layer = wk.Dataset.open(server.url("ds")).get_layer("w")
    assert remote_layer.bounding_box == layer.bounding_box
    with pytest.raises(StorageError, match=r"wkw.*HTTP"):
        remote_layer.get_mag(1).read()


# --------------------------------------------------------------------------- writes


def test_mutations_are_refused_before_any_request(
    dataset_dir: Path, serve: Callable[..., Server]
) -> None:
    server = serve(dataset_dir)
    ds = wk.Dataset.open(server.url("ds"))
    color = ds.get_layer("color")
    seg = ds.get_layer("segmentation")
    mag = color.get_mag(1)
    server.log.clear()

    attempts: list[Callable[[], object]] = [
        lambda: ds.add_layer("new", "color"),
        lambda: ds.get_or_add_layer("new", "color"),
        lambda: ds.delete_layer("color"),
        lambda: setattr(ds, "name", "renamed"),
        lambda: setattr(ds, "default_view_configuration", None),
        lambda: color.add_mag(4),
        lambda: color.delete_mag(1),
        lambda: setattr(color, "name", "renamed"),
        lambda: setattr(color, "bounding_box", wk.BoundingBox((0, 0, 0), (8, 8, 8))),
        lambda: setattr(seg, "largest_segment_id", 5),
        lambda: mag.write(np.zeros((3, 8, 8, 8), np.uint8)),
        lambda: ds.dry_run().__enter__(),
        lambda: wk.Dataset(server.url("ds"), voxel_size=(1, 1, 1)),
        lambda: arrays.create_array(
            server.url("ds/x/1"),
            arrays.read_layout(dataset_dir / "ds/color/1", "zarr3"),
        ),
        lambda: arrays.delete_array(server.url("ds/color/1")),
    ]
    for attempt in attempts:
        with pytest.raises(ReadOnlyError) as info:
            attempt()
        assert isinstance(info.value, RuntimeError)
    assert server.log == []
    assert (dataset_dir / "ds" / "color" / "1" / "zarr.json").exists()

    handle = arrays.open_array(server.url("ds/color/1"), "zarr3")
    with pytest.raises(ReadOnlyError, match="read-only"):
        handle.write((0, 0, 0), np.zeros((3, 8, 8, 8), np.uint8))
    with pytest.raises(ReadOnlyError):
        handle.resize((512, 512, 512))
    with pytest.raises(StorageError, match="listing"):
        handle.shard_boxes()


# --------------------------------------------------------------------------- CLI


def test_cli_info_reads_a_url(dataset_dir: Path, serve: Callable[..., Server]) -> None:
    from typer.testing import CliRunner

    from wkfn.cli.main import app

    server = serve(dataset_dir)
    result = CliRunner().invoke(app, ["info", server.url("ds")])
    assert result.exit_code == 0, result.output
    assert "layer color: color uint8 x3 zarr3 bbox (16, 32, 8)+(150, 90, 70)" in (
        result.output
    )
    assert "mag 2: chunk (32, 32, 32) shard (64, 64, 64) zstd (remote)" in result.output

    missing = CliRunner().invoke(app, ["info", server.url("nope")])
    assert missing.exit_code == 1
    assert "not found" in missing.output


def test_cli_copies_a_url_to_disk(
    dataset_dir: Path, serve: Callable[..., Server], tmp_path: Path
) -> None:
    """`wkfn copy-dataset URL DIR` downloads; `check-equality` compares URL and copy."""
    from typer.testing import CliRunner

    import wkfn.cli.commands  # noqa: F401  (registers copy-dataset)
    from wkfn.cli.main import app

    server = serve(dataset_dir)
    target = tmp_path / "copy"
    copied = CliRunner().invoke(
        app, ["copy-dataset", server.url("ds"), str(target), "--data-format", "wkw"]
    )
    assert copied.exit_code == 0, copied.output
    assert wk.Dataset.open(target).get_layer("color").data_format == "wkw"
    same = CliRunner().invoke(app, ["check-equality", server.url("ds"), str(target)])
    assert same.exit_code == 0, same.output
    assert "the datasets are equal" in same.output


# --------------------------------------------------------------------------- reference

_REF_READ = """
from upath import UPath
ds = wk.Dataset.open(UPath(P["url"]))
out = {}
for name, layer in ds.layers.items():
    for mag, view in layer.mags.items():
        data = np.ascontiguousarray(view.read())
        out[f"{name}/{mag.to_layer_name()}"] = [
            str(layer.bounding_box), str(data.dtype), list(data.shape),
            hashlib.sha256(data.tobytes()).hexdigest(),
        ]
print(json.dumps(out))
"""


@pytest.mark.reference
def test_reference_reads_the_same_over_http(
    dataset_dir: Path, serve: Callable[..., Server], ref: Callable[..., Any]
) -> None:
    server = serve(dataset_dir)
    theirs = ref(_REF_READ, url=server.url("ds/"))
    ds = wk.Dataset.open(server.url("ds/"))
    mine: dict[str, list[Any]] = {}
    for name, layer in ds.layers.items():
        for mag, view in layer.mags.items():
            data = np.ascontiguousarray(view.read())
            mine[f"{name}/{mag.to_layer_name()}"] = [
                str(layer.bounding_box),
                str(data.dtype),
                list(data.shape),
                hashlib.sha256(data.tobytes()).hexdigest(),
            ]
    assert theirs == mine


# ------------------------------------------------------------------ copies and refs


def test_copy_dataset_from_http_to_local(
    dataset_dir: Path, serve: Callable[..., Server], tmp_path: Path
) -> None:
    """A remote dataset copied (and converted) to local disk: same voxels."""
    from concurrent.futures import ThreadPoolExecutor

    server = serve(dataset_dir)
    local = wk.Dataset.open(dataset_dir / "ds", read_only=True)
    remote_ds = wk.Dataset.open(server.url("ds/"))
    with ThreadPoolExecutor(2) as pool:
        same = remote_ds.copy_dataset(tmp_path / "same", executor=pool)
    converted = remote_ds.copy_dataset(tmp_path / "wkw", data_format="wkw")
    for copy in (same, converted):
        reopened = wk.Dataset.open(copy.path)
        assert not reopened.read_only
        for name, want in local.layers.items():
            got = reopened.get_layer(name)
            assert got.bounding_box == want.bounding_box
            for mag, view in want.mags.items():
                _assert_same(got.get_mag(mag).read(), view.read())
    assert wk.Dataset.open(tmp_path / "wkw").get_layer("color").data_format == "wkw"
    # the data came over HTTP (no file copies are possible there)
    assert any(r.path.startswith("/ds/color/1/") for r in server.log)


def test_layer_as_ref_to_http_reads_remotely_and_stays_read_only(
    dataset_dir: Path, serve: Callable[..., Server], tmp_path: Path
) -> None:
    server = serve(dataset_dir)
    remote_ds = wk.Dataset.open(server.url("ds/"))
    ds = wk.Dataset(tmp_path / "local", voxel_size=(11.2, 11.2, 25.0))
    layer = ds.add_layer_as_ref(remote_ds.get_layer("segmentation"))
    props = json.loads((tmp_path / "local" / PROPS).read_text())
    paths = [m["path"] for m in props["dataLayers"][0]["mags"]]
    assert paths == [server.url("ds/segmentation/1"), server.url("ds/segmentation/2")]
    reopened = wk.Dataset.open(tmp_path / "local").get_layer("segmentation")
    want = wk.Dataset.open(dataset_dir / "ds").get_layer("segmentation")
    _assert_same(reopened.get_mag(1).read(), want.get_mag(1).read())
    assert layer.get_mag(1).read_only
    with pytest.raises(ReadOnlyError):
        layer.get_mag(1).write(np.zeros((8, 8, 8), np.uint32))


def test_attachments_of_a_remote_layer_are_referenced_by_url(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    root = tmp_path / "served"
    ds = wk.Dataset(root / "ds", voxel_size=(1, 1, 1))
    seg = ds.add_layer("seg", "segmentation", dtype="uint32", largest_segment_id=3)
    seg.add_mag(1).write(np.full((32, 32, 32), 3, np.uint32), allow_resize=True)
    mesh_dir = tmp_path / "meshfile"
    mesh_dir.mkdir()
    (mesh_dir / "zarr.json").write_text("{}")
    assert isinstance(seg, wk.SegmentationLayer)
    seg.attachments.add_attachment_as_copy(
        wk.MeshAttachment.from_path_and_name(mesh_dir, "m", data_format="zarr3")
    )
    server = serve(root)
    copy = wk.Dataset.open(server.url("ds/")).copy_dataset(tmp_path / "copy")
    layer = copy.get_layer("seg")
    assert isinstance(layer, wk.SegmentationLayer)
    (mesh,) = layer.attachments.meshes
    assert str(mesh.path) == server.url("ds/seg/meshes/m")
    assert layer.get_mag(1).read().min() == 3
