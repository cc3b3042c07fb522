"""Small-object I/O on object stores (S3, GCS) through fsspec, with typed errors.

Array data never passes through here (tensorstore reads and writes it with its own
kvstores); this module owns the metadata objects around it: the properties file,
OME group files, journal records, attachment copies, and deleting prefixes.

Every failure becomes a typed error from :mod:`wkfn.storage.location` naming the
URL with secrets redacted: a missing bucket, refused or missing credentials, a URL
that names an object instead of a prefix.

An object store has no directories and no rename: a "directory" exists when an
object below its prefix exists, and a single PUT replaces an object atomically
(readers see the old or the new object, never a mix), which is how the properties
file keeps its "written last, all at once" guarantee there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from wkfn.storage import object_kv
from wkfn.storage.location import (
    BucketNotFoundError,
    LocationError,
    NoCredentialsError,
    NotADirectoryLocationError,
    ObjectStoreAuthError,
    bucket_url,
    object_path,
    parse,
    redact,
)
from wkfn.storage.store_access import filesystem

T = TypeVar("T")

_AUTH_CODES = (
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "Forbidden",
    "403",
)


def _error_code(exc: BaseException) -> str:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
        e = e.__cause__ or e.__context__
    return ""


def _is_no_credentials(exc: BaseException) -> bool:
    e: BaseException | None = exc
    while e is not None:
        if type(e).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            return True
        e = e.__cause__ or e.__context__
    return False


def translate(exc: BaseException, url: str, what: str) -> LocationError:
    """The typed error for a failed object-store request on ``url``."""
    shown = redact(url)
    code = _error_code(exc)
    detail = redact(f"{type(exc).__name__}: {exc}")
    if _is_no_credentials(exc):
        return NoCredentialsError(
            f"cannot {what} {shown}: no credentials found; set AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY (and S3_ENDPOINT_URL for an S3-compatible "
            "store) or pass key/secret as UPath storage options",
            url=shown,
        )
    if code in ("NoSuchBucket",) or (
        "NoSuchBucket" in str(exc) or "bucket does not exist" in str(exc).lower()
    ):
        return BucketNotFoundError(
            f"cannot {what} {shown}: the bucket {redact(bucket_url(url))} does not "
            "exist",
            url=shown,
        )
    if code in _AUTH_CODES or isinstance(exc, PermissionError):
        return ObjectStoreAuthError(
            f"cannot {what} {shown}: access denied ({detail}); check the "
            "credentials and the bucket's permissions",
            url=shown,
        )
    return LocationError(f"cannot {what} {shown}: {detail}", url=shown)


def _call(url: str, what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except LocationError:
        raise
    except FileNotFoundError as e:
        if _error_code(e) == "NoSuchBucket" or "NoSuchBucket" in str(e):
            raise translate(e, url, what) from None
        raise
    except Exception as e:
        raise translate(e, url, what) from None


def check_bucket(url: str) -> None:
    """Make sure the bucket of ``url`` exists and the credentials are accepted.

    One HEAD request; run before anything is written so that a missing bucket or
    bad credentials fail cleanly.

    Raises:
        BucketNotFoundError, NoCredentialsError, ObjectStoreAuthError.
    """
    if object_kv.bucket_ok(url):  # one small listing through tensorstore
        return
    loc = parse(url)
    fs = filesystem(url)
    if loc.scheme == "s3":

        def head() -> None:
            try:
                fs.call_s3("head_bucket", Bucket=loc.bucket)
            except FileNotFoundError as e:
                raise BucketNotFoundError(
                    f"cannot reach {loc.display}: the bucket "
                    f"{redact(bucket_url(url))} does not exist",
                    url=loc.display,
                ) from e

        _call(url, "reach", head)
    else:
        if not _call(url, "reach", lambda: fs.exists(loc.bucket)):
            raise BucketNotFoundError(
                f"cannot reach {loc.display}: the bucket {loc.bucket} does not exist",
                url=loc.display,
            )


def read_bytes(url: str) -> bytes:
    """The object at ``url``.

    Raises:
        FileNotFoundError: no such object (the caller words the message).
        LocationError: any other failure, typed.
    """
    fast = object_kv.read(url)  # one GET through tensorstore, no s3fs import
    if fast is not None:
        return fast
    fs = filesystem(url)
    data: bytes = _call(url, "read", lambda: fs.cat_file(object_path(url)))
    return data


def write_bytes(url: str, data: bytes) -> None:
    """Replace the object at ``url`` with one PUT (atomic for readers)."""
    if object_kv.write(url, data):
        return
    fs = filesystem(url)
    _call(url, "write", lambda: fs.pipe_file(object_path(url), data))


def is_file(url: str) -> bool:
    """True if an object exists exactly at ``url`` (one HEAD request on S3)."""
    fast = object_kv.is_file(url)
    if fast is not None:
        return fast
    fs = filesystem(url)
    loc = parse(url)
    if loc.scheme == "s3" and loc.key:

        def head() -> bool:
            try:
                fs.call_s3("head_object", Bucket=loc.bucket, Key=loc.key)
            except FileNotFoundError as e:
                if "NoSuchBucket" in str(e):
                    raise
                return False
            return True

        return _call(url, "read", head)
    return bool(_call(url, "read", lambda: fs.isfile(object_path(url))))


def is_dir(url: str) -> bool:
    """True if any object exists below ``url/`` (one LIST request on S3; through
    tensorstore while the listing is short, see :func:`object_kv.any_below`)."""
    fast = object_kv.any_below(url)
    if fast is not None:
        return fast
    loc = parse(url)
    if loc.scheme == "s3":
        fs = filesystem(url)
        prefix = f"{loc.key}/" if loc.key else ""

        def first() -> bool:
            out = fs.call_s3(
                "list_objects_v2", Bucket=loc.bucket, Prefix=prefix, MaxKeys=1
            )
            return int(out.get("KeyCount", 0)) > 0

        return _call(url, "list", first)
    return next(iter_keys(url, limit=1), None) is not None


def which_exist(urls: list[str]) -> list[bool]:
    """For each URL, whether an object exists exactly there (concurrent HEADs)."""
    fast = object_kv.which_exist(urls)
    return fast if fast is not None else [is_file(u) for u in urls]


def exists(url: str) -> bool:
    """An object at ``url`` or below it."""
    return is_file(url) or is_dir(url)


def iter_keys(url: str, *, limit: int | None = None) -> Iterator[str]:
    """Relative keys of the objects below ``url/`` (recursive)."""
    fs = filesystem(url)
    prefix = object_path(url).rstrip("/") + "/"

    def find() -> list[str]:
        with contextlib.suppress(FileNotFoundError):
            found: list[str] = fs.find(prefix, maxdepth=None)
            return found
        return []

    n = 0
    for key in _call(url, "list", find):
        rel = key[len(prefix) :] if key.startswith(prefix) else key
        if not rel:
            continue
        yield rel
        n += 1
        if limit is not None and n >= limit:
            return


def total_size(url: str) -> int:
    """Bytes stored below ``url/`` (one listing)."""
    fs = filesystem(url)
    prefix = object_path(url).rstrip("/") + "/"

    def du() -> int:
        try:
            found = fs.find(prefix, detail=True)
        except FileNotFoundError:
            return 0
        return sum(int(info.get("size") or 0) for info in found.values())

    return _call(url, "list", du)


def list_dir(url: str) -> list[str]:
    """Names directly below ``url/`` (objects and common prefixes)."""
    fs = filesystem(url)
    prefix = object_path(url).rstrip("/")

    def ls() -> list[str]:
        try:
            entries: list[str] = fs.ls(prefix, detail=False)
        except FileNotFoundError:
            return []
        return entries

    return sorted({e.rstrip("/").rsplit("/", 1)[-1] for e in _call(url, "list", ls)})


def delete_tree(url: str) -> None:
    """Delete the object at ``url`` and every object below it (missing is fine)."""
    fs = filesystem(url)
    path = object_path(url)
    keys = [f"{path.rstrip('/')}/{k}" for k in iter_keys(url)]
    if _call(url, "read", lambda: fs.isfile(path)):
        keys.append(path)
    if keys:
        _call(url, "delete", lambda: fs.rm(keys))


def copy_tree(source: str, target: str) -> None:
    """Copy the object or prefix ``source`` to ``target`` (same store: server side;
    otherwise through this process). ``source`` may be a local path."""
    from wkfn.storage.location import is_object_url

    if not is_object_url(source):
        import os

        if not os.path.exists(source):
            raise LocationError(f"cannot copy {source}: it does not exist", url=source)
        if os.path.isdir(source):
            for dirpath, _dirs, files in os.walk(source):
                for name in files:
                    local = os.path.join(dirpath, name)
                    rel = os.path.relpath(local, source).replace(os.sep, "/")
                    with open(local, "rb") as f:
                        write_bytes(f"{target}/{rel}", f.read())
        else:
            with open(source, "rb") as f:
                write_bytes(target, f.read())
        return
    if is_file(source):
        write_bytes(target, read_bytes(source))
        return
    keys = list(iter_keys(source))
    if not keys:
        raise LocationError(
            f"cannot copy {redact(source)}: nothing exists there", url=redact(source)
        )
    for rel in keys:
        write_bytes(f"{target}/{rel}", read_bytes(f"{source}/{rel}"))


def server_side_copy(source: str, target: str, keys: list[str]) -> None:
    """Copy the objects ``source/<key>`` to ``target/<key>`` inside one store
    (S3 CopyObject: no bytes through this process)."""
    fs = filesystem(source)
    src = object_path(source).rstrip("/")
    dst = object_path(target).rstrip("/")
    _call(
        target,
        "copy to",
        lambda: fs.copy([f"{src}/{k}" for k in keys], [f"{dst}/{k}" for k in keys]),
    )


def require_prefix(url: str) -> None:
    """Refuse a URL that names an existing object (a file) as a dataset location."""
    loc = parse(url)
    if loc.key and is_file(url):
        raise NotADirectoryLocationError(
            f"{loc.display} is an object (a file), not a prefix a dataset can live "
            "under",
            url=loc.display,
        )


__all__ = [
    "check_bucket",
    "copy_tree",
    "delete_tree",
    "exists",
    "is_dir",
    "is_file",
    "iter_keys",
    "list_dir",
    "read_bytes",
    "require_prefix",
    "translate",
    "which_exist",
    "write_bytes",
]
