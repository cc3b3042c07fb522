"""Small S3 requests through tensorstore's ``s3`` kvstore: the fast path for metadata.

Opening or creating a dataset on S3 reads and writes a few small objects and asks a
few questions ("is the bucket there?", "is this an object?", "is anything below this
prefix?"). Going through fsspec for them means importing s3fs/aiobotocore and
building a botocore session: about a second in a fresh process, more than reading
or writing a 256³ volume. tensorstore is loaded anyway for the arrays and already
speaks S3 with the same endpoint, region and credentials
(:func:`wkfn.storage.store_access.kvstore_spec`), so the common, successful cases go
through it, one request each:

* GET / PUT of an object, HEAD (a read of zero bytes) for "is this an object?";
* a bucket check: a listing whose prefix is one object's full key, so it returns at
  most a handful of keys; S3 answers it with ``NoSuchBucket`` or ``AccessDenied``
  just like a HEAD of the bucket;
* "is anything below this prefix?": a recursive listing (tensorstore has no
  ``max-keys``), given a short deadline; an empty or small prefix answers at once,
  a huge one is cancelled and the caller asks fsspec (one request with max-keys=1).

Every function answers ``None`` when it cannot answer (not S3, no explicit
credentials, a refused request, an error, the deadline passed), and
:mod:`wkfn.storage.objects` then repeats the question through fsspec, whose errors
it turns into typed ones (missing bucket, bad credentials, ...). So the happy path
is fast and every error stays as before.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from wkfn.storage import location, store_access

LIST_DEADLINE_S = 1.0
"""How long :func:`any_below` lets a recursive listing run before giving up."""
PROBE_KEY = "datasource-properties.json"
"""Key whose listing checks a bucket (its prefix matches next to nothing)."""

_lock = threading.Lock()
_stores: dict[str, Any] = {}
"""Open kvstores per bucket spec and credentials, process-wide."""
_buckets_ok: set[str] = set()
"""Buckets (cache keys) this process has reached with the current credentials."""


def _bucket_store(url: str) -> tuple[Any, str, str] | None:
    """(kvstore at the bucket root, key of ``url``, cache key), or None off S3."""
    loc = location.parse(url)
    if loc.scheme != "s3":
        return None
    spec = store_access.kvstore_spec(location.bucket_url(loc.url))
    if spec.get("aws_credentials", {}).get("type") == "default":
        # no explicit credentials: tensorstore's default chain would probe the EC2
        # metadata server (slow without one); botocore's chain answers quickly
        return None
    env = tuple(os.environ.get(n, "") for n in location.SECRET_ENVS)
    cache_key = repr((sorted(spec.items(), key=str), env))
    with _lock:
        store = _stores.get(cache_key)
    if store is None:
        try:
            # a context of its own per credentials: tensorstore keeps the
            # credentials it read in the context, and these must follow the env
            opened = _ts().KvStore.open(spec, context=_ts().Context()).result()
        except Exception:
            return None
        with _lock:
            store = _stores.setdefault(cache_key, opened)
    return store, loc.key, cache_key


def _ts() -> Any:
    import tensorstore

    return tensorstore


def _key_range(low: str, high: str) -> Any:
    return _ts().KvStore.KeyRange(low.encode(), high.encode())


def bucket_ok(url: str) -> bool:
    """True once the bucket of ``url`` answered a listing (cached per process and
    credentials); False when this path cannot tell (the caller asks fsspec)."""
    found = _bucket_store(url)
    if found is None:
        return False
    store, key, cache_key = found
    with _lock:
        if cache_key in _buckets_ok:
            return True
    probe = f"{key}/{PROBE_KEY}" if key else PROBE_KEY
    try:
        store.list(_key_range(probe, probe + "\0")).result()
    except Exception:
        return False
    with _lock:
        _buckets_ok.add(cache_key)
    return True


def read(url: str) -> bytes | None:
    """The object at an ``s3://`` URL; None when this path cannot answer.

    Raises:
        FileNotFoundError: no such object (and the bucket is known to exist).
    """
    found = _bucket_store(url)
    if found is None or not found[1]:
        return None
    store, key, _ = found
    try:
        result = store.read(key).result()
    except Exception:
        return None
    if result.state == "value":
        return bytes(result.value)
    if bucket_ok(url):
        raise FileNotFoundError(location.redact(url))
    return None


def is_file(url: str) -> bool | None:
    """True if an object exists at ``url`` (one HEAD); None when unknown."""
    found = _bucket_store(url)
    if found is None or not found[1]:
        return None
    store, key, _ = found
    try:
        result = store.read(key, byte_range=slice(0, 0)).result()
    except Exception:
        return None
    if result.state == "value":
        return True
    return False if bucket_ok(url) else None


def which_exist(urls: list[str]) -> list[bool] | None:
    """For each URL, whether an object exists there (HEADs sent concurrently);
    None when this path cannot answer for all of them."""
    probes = []
    for url in urls:
        found = _bucket_store(url)
        if found is None or not found[1]:
            return None
        store, key, _ = found
        probes.append(store.read(key, byte_range=slice(0, 0)))
    try:
        states = [p.result().state == "value" for p in probes]
    except Exception:
        return None
    missing = [u for u, found in zip(urls, states) if not found]
    if not all(bucket_ok(u) for u in missing):  # a 404 could be a missing bucket
        return None
    return states


def any_below(url: str, deadline_s: float = LIST_DEADLINE_S) -> bool | None:
    """True if any object lies below ``url/``; None when unknown (not S3, an
    error, or the listing took longer than ``deadline_s``)."""
    found = _bucket_store(url)
    if found is None:
        return None
    store, key, cache_key = found
    prefix = f"{key}/" if key else ""
    high = f"{key}0" if key else ""  # "0" follows "/"; "" means no upper bound
    future = store.list(_key_range(prefix, high))
    try:
        keys = future.result(timeout=deadline_s)
    except Exception:
        if not future.done():
            future.cancel()  # a huge prefix: the caller asks with max-keys=1
        return None
    with _lock:
        _buckets_ok.add(cache_key)  # the listing reached the bucket
    return len(keys) > 0


def write(url: str, data: bytes) -> bool:
    """PUT ``data`` at an ``s3://`` URL; False when this path could not (the caller
    then writes through fsspec, which reports the failure typed)."""
    found = _bucket_store(url)
    if found is None or not found[1]:
        return False
    store, key, _ = found
    try:
        store.write(key, data).result()
    except Exception:
        return False
    return True


def reset() -> None:
    """Forget open kvstores and reached buckets (credentials or endpoint changed)."""
    with _lock:
        _stores.clear()
        _buckets_ok.clear()


__all__ = [
    "any_below",
    "bucket_ok",
    "is_file",
    "read",
    "reset",
    "which_exist",
    "write",
]
