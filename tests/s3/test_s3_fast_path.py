"""The metadata fast path (``wkfn.storage.object_kv``): opening, reading and
creating a dataset on S3 goes through tensorstore's s3 kvstore only, one request
per question, and every error still comes back typed (through fsspec)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.storage import object_kv, objects
from wkfn.storage.location import BucketNotFoundError
from wkfn.testing.s3_server import LocalS3Server

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json, sys
import numpy as np
import wkfn as wk
url, mode = sys.argv[1], sys.argv[2]
if mode == "write":
    ds = wk.Dataset(url, voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
    data = np.arange(64**3, dtype=np.uint8).reshape(64, 64, 64)
    layer.add_mag(1).write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    out = None
else:
    mag = wk.Dataset.open(url).get_layer("color").get_mag(1)
    out = int(mag.read(absolute_offset=(0, 0, 0), size=(64, 64, 64)).sum())
print(json.dumps({"s3fs": "s3fs" in sys.modules, "sum": out}))
"""


def _run(url: str, mode: str, env: dict[str, str]) -> dict[str, object]:
    full = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, url, mode],
        capture_output=True,
        text=True,
        env=full,
        timeout=300,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_open_read_and_create_need_no_s3fs_and_few_requests(
    tmp_path: Path,
) -> None:
    log = str(tmp_path / "moto.log")
    with LocalS3Server(log_path=log) as server:
        server.create_bucket("fast-path")
        url = "s3://fast-path/ds"
        written = _run(url, "write", server.env())
        assert written["s3fs"] is False  # create + write: tensorstore only
        before = server.request_count()
        read = _run(url, "read", server.env())
        after = server.request_count()
    assert read["s3fs"] is False
    want = int(np.arange(64**3, dtype=np.uint8).sum(dtype=np.uint64))
    assert read["sum"] == want
    # properties, the array's zarr.json, the shard's index and its chunks (one
    # ranged read): nothing else, no HEAD, no LIST
    requests = {k: v - before.get(k, 0) for k, v in after.items()}
    assert {k: v for k, v in requests.items() if v} == {"GET": 4}


def test_missing_objects_and_buckets_stay_typed(bucket: str) -> None:
    url = f"{bucket}/ds"
    objects.write_bytes(f"{url}/a.json", b"{}")
    assert object_kv.read(f"{url}/a.json") == b"{}"
    assert object_kv.is_file(f"{url}/a.json") is True
    assert object_kv.is_file(f"{url}/b.json") is False
    assert object_kv.any_below(url) is True
    assert object_kv.any_below(f"{url}/nothing") is False
    with pytest.raises(FileNotFoundError):
        object_kv.read(f"{url}/b.json")
    # a missing bucket: the fast path cannot tell, fsspec says what is wrong
    gone = "s3://no-such-bucket-for-wkfn/ds"
    assert object_kv.read(f"{gone}/a.json") is None
    assert object_kv.is_file(f"{gone}/a.json") is None
    assert object_kv.any_below(gone) is None
    with pytest.raises(BucketNotFoundError, match="no-such-bucket-for-wkfn"):
        objects.read_bytes(f"{gone}/a.json")
    with pytest.raises(BucketNotFoundError):
        wk.Dataset.open(gone)


def test_open_of_an_object_or_empty_prefix_is_refused(bucket: str) -> None:
    objects.write_bytes(f"{bucket}/file", json.dumps({"a": 1}).encode())
    with pytest.raises(NotADirectoryError):
        wk.Dataset.open(f"{bucket}/file")
    with pytest.raises(FileNotFoundError, match=r"datasource-properties\.json"):
        wk.Dataset.open(f"{bucket}/empty")
