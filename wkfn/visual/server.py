"""``wkfn serve``: a dataset folder over HTTP, read-only, for neuroglancer, wkfn and
the reference's readers.

* GET and HEAD of files, with single byte ranges (``bytes=a-b``, ``a-``, ``-n`` →
  206 + ``Content-Range``; unsatisfiable → 416); several ranges get the whole file
  (allowed by RFC 9110), which every zarr reader handles.
* CORS: ``Access-Control-Allow-Origin: *``, ``Content-Range``/``Content-Length``
  exposed, ``OPTIONS`` preflights answered, so a viewer on another origin (the
  neuroglancer demo site) can read the data.
* Read-only: PUT, POST, DELETE and PATCH get 405.
* No path traversal: a request may not name anything outside the folder (``..``,
  encoded or not, absolute paths, symlinks leading out unless the server is told to
  follow them).
* ``/`` is an index page listing the layers with previews and a neuroglancer link;
  ``/.wkfn/preview/<layer>.png`` renders a preview (query: ``axis``, ``index``,
  ``mag``); ``/.wkfn/neuroglancer.json`` is the viewer state.

Example:
    >>> import tempfile, urllib.request, wkfn as wk
    >>> root = tempfile.mkdtemp() + "/ds"
    >>> _ = wk.Dataset(root, voxel_size=(1, 1, 1))
    >>> with DatasetServer(root, port=0) as server:
    ...     with urllib.request.urlopen(server.url + "datasource-properties.json") as r:
    ...         r.status, r.headers["Access-Control-Allow-Origin"]
    (200, '*')
"""

from __future__ import annotations

import http
import http.server
import json
import mimetypes
import os
import re
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["PREVIEW_PREFIX", "DatasetServer", "parse_range"]

PREVIEW_PREFIX = "/.wkfn/preview/"
STATE_PATH = "/.wkfn/neuroglancer.json"
PREVIEW_PIXELS = 512
_BLOCK = 1 << 20
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def parse_range(header: str, length: int) -> tuple[int, int] | str | None:
    """``(start, stop)`` of a single ``Range`` header for a file of ``length`` bytes.

    Returns None when the header should be ignored (several ranges, another unit)
    and ``"unsatisfiable"`` for a range outside the file.

    Example:
        >>> parse_range("bytes=2-4", 10), parse_range("bytes=-3", 10)
        ((2, 5), (7, 10))
    """
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        start, stop = max(length - int(last), 0), length
        if int(last) == 0:
            return "unsatisfiable"
    else:
        start = int(first)
        stop = min(int(last) + 1, length) if last else length
    if start >= length or stop <= start:
        return "unsatisfiable"
    return (start, stop)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wkfn-serve"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        hook = self.server.on_request
        if hook is not None:
            status = code.value if isinstance(code, http.HTTPStatus) else code
            hook(self.command, self.path, int(status))
        super().log_request(code, size)

    # ------------------------------------------------------------------ replies
    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header(
            "Access-Control-Expose-Headers",
            "Content-Range, Content-Length, Accept-Ranges, Content-Type",
        )

    def _reply(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/plain",
        **headers: str,
    ) -> None:
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse(self) -> None:
        # the request body is never read: close the connection so it is not taken
        # for the next request
        self.close_connection = True
        self._reply(
            405,
            b"read-only: this server answers GET, HEAD and OPTIONS\n",
            Allow="GET, HEAD, OPTIONS",
            Connection="close",
        )

    do_PUT = do_POST = do_DELETE = do_PATCH = _refuse

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        asked = self.headers.get("Access-Control-Request-Headers")
        self.send_header(
            "Access-Control-Allow-Headers", asked or "Range, Content-Type, X-Auth-Token"
        )
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self.do_GET()

    # ------------------------------------------------------------------ routing
    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        try:
            if path in ("/", "/index.html"):
                self._index()
            elif path == STATE_PATH:
                self._state()
            elif path.startswith(PREVIEW_PREFIX) and path.endswith(".png"):
                self._preview(path[len(PREVIEW_PREFIX) : -len(".png")], query)
            else:
                self._file(path)
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as exc:  # a broken dataset must not kill the connection
            self._reply(500, f"error: {type(exc).__name__}: {exc}\n".encode())

    def _base_url(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        return f"http://{host}/"

    def _spec(self) -> Any:
        from wkfn.spec.codec import decode_properties

        data = (self.server.root / "datasource-properties.json").read_bytes()
        return decode_properties(data, source="datasource-properties.json")

    def _index(self) -> None:
        from wkfn.picture.neuroglancer import index_page

        page = index_page(self._spec(), self._base_url(), PREVIEW_PREFIX)
        self._reply(200, page.encode(), "text/html; charset=utf-8")

    def _state(self) -> None:
        from wkfn.picture.neuroglancer import neuroglancer_state

        state = neuroglancer_state(self._spec(), self._base_url())
        self._reply(200, json.dumps(state).encode(), "application/json")

    def _preview(self, layer: str, query: dict[str, str]) -> None:
        from wkfn.errors import WkfnError
        from wkfn.picture.png import encode_png
        from wkfn.visual.preview import preview_image

        try:
            index = int(query["index"]) if "index" in query else None
            image = preview_image(
                self.server.root,
                layer=layer,
                mag=query.get("mag"),
                axis=query.get("axis", "z"),  # type: ignore[arg-type]
                index=index,
                max_pixels=PREVIEW_PIXELS,
            )
        except (WkfnError, ValueError, IndexError) as exc:
            self._reply(404, f"no preview: {exc}\n".encode())
            return
        self._reply(200, encode_png(image), "image/png", Cache_Control="no-cache")

    def _resolve(self, path: str) -> Path | None:
        """The file a request path names, or None if it is outside the folder."""
        if "\x00" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            return None
        root = self.server.root
        target = root.joinpath(*parts)
        if not self.server.follow_symlinks:
            real = Path(os.path.realpath(target))
            if real != root and root not in real.parents:
                return None
        return target

    def _file(self, path: str) -> None:
        target = self._resolve(path)
        if target is None:
            self._reply(403, b"outside the served folder\n")
            return
        if not target.is_file():
            self._reply(404, b"not found\n")
            return
        length = target.stat().st_size
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.name == "zarr.json" or target.name.startswith(".z"):
            ctype = "application/json"
        rng = self.headers.get("Range")
        parsed = parse_range(rng, length) if rng else None
        if parsed == "unsatisfiable":
            self._reply(416, Content_Range=f"bytes */{length}")
            return
        start, stop = parsed if isinstance(parsed, tuple) else (0, length)
        self.send_response(206 if isinstance(parsed, tuple) else 200)
        self._cors()
        self.send_header("Content-Type", ctype)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        if isinstance(parsed, tuple):
            self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{length}")
        self.send_header("Content-Length", str(stop - start))
        self.end_headers()
        if self.command == "HEAD":
            return
        with target.open("rb") as handle:
            handle.seek(start)
            remaining = stop - start
            while remaining > 0:
                block = handle.read(min(_BLOCK, remaining))
                if not block:
                    break
                self.wfile.write(block)
                remaining -= len(block)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    follow_symlinks: bool
    verbose: bool
    on_request: Callable[[str, str, int], None] | None


class DatasetServer:
    """A read-only HTTP server for one dataset folder (a thread, or blocking).

    Args:
        root: the dataset directory (with ``datasource-properties.json``).
        host: interface to bind; ``127.0.0.1`` keeps it local.
        port: TCP port; 0 picks a free one (see :attr:`url`).
        follow_symlinks: serve files whose real path is outside ``root`` (symlinked
            layers); off by default so nothing outside the folder is reachable.
        verbose: log every request to stderr.
        on_request: called with (method, path, status) after every reply, from
            the serving thread (e.g. to count what a viewer fetched).

    Raises:
        DatasetNotFoundError: ``root`` has no ``datasource-properties.json``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        follow_symlinks: bool = False,
        verbose: bool = False,
        on_request: Callable[[str, str, int], None] | None = None,
    ) -> None:
        from wkfn.errors import DatasetNotFoundError

        folder = Path(os.path.realpath(root))
        if not (folder / "datasource-properties.json").is_file():
            raise DatasetNotFoundError(
                f"no dataset at {os.fspath(root)!r}: datasource-properties.json "
                "is missing"
            )
        self._httpd = _Server((host, port), _Handler)
        self._httpd.root = folder
        self._httpd.follow_symlinks = follow_symlinks
        self._httpd.verbose = verbose
        self._httpd.on_request = on_request
        self._thread: threading.Thread | None = None
        self.host = host

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT/`` (``127.0.0.1`` when bound to all interfaces)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def neuroglancer_link(self) -> str:
        """A neuroglancer link whose state shows every readable layer."""
        from wkfn.picture.neuroglancer import neuroglancer_link, neuroglancer_state
        from wkfn.spec.codec import decode_properties

        data = (self._httpd.root / "datasource-properties.json").read_bytes()
        return neuroglancer_link(neuroglancer_state(decode_properties(data), self.url))

    def start(self) -> DatasetServer:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DatasetServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()
