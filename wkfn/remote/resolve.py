"""From what a user types (name, id, dataset URL, sharing or short link) to a
``(context, dataset id, sharing token)`` triple.

Accepted forms (as the reference): a dataset URL
``{wk}/datasets/[name-]<24-hex id>[/view][#...][?token=...]``, the deprecated
``{wk}/datasets/<org>/<name>[/view][?token=...]``, a short link ``{wk}/links/<key>``
(resolved by the server), or a plain name / id with optional organization,
sharing token and server URL. An id-shaped name is tried as an id first; a name is
looked up in the organization's list (exact name), then by directory name.
Anything else under ``http(s)://`` (an annotation link, a folder) is refused with a
typed error before any dataset request.
"""

from __future__ import annotations

import re
import urllib.parse
import warnings
from dataclasses import dataclass

from wkfn.errors import InvalidArgumentError
from wkfn.remote import api
from wkfn.remote.client import WebknossosNotFoundError, redact
from wkfn.remote.context import Context, current

_ID = re.compile(r"[0-9a-fA-F]{24}")
_DATASET_PATH = re.compile(
    r"(?P<prefix>.*)/datasets/(?:[^/]*-)?(?P<id>[0-9a-fA-F]{24})(?:/view)?/?"
)
_DEPRECATED_PATH = re.compile(
    r"(?P<prefix>.*)/datasets/(?P<org>[^/]+)/(?P<name>[^/]+?)(?:/view)?/?"
)
_SHORT_LINK = re.compile(r"(?P<prefix>.*)/links/(?P<key>[^/]+)/?")


@dataclass(frozen=True)
class Resolved:
    """Where a dataset lives and how to reach it."""

    context: Context
    dataset_id: str
    sharing_token: str | None


class RemoteDatasetNotFoundError(WebknossosNotFoundError):
    """No dataset with this name (or id) in the organization, or not visible."""


def _is_url(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


def _context_for(url: str, outer: Context) -> Context:
    """The context for ``url``'s server: the current token only for the same host."""
    url = url.rstrip("/")
    token = outer.token if url == outer.url else None
    if outer.token and token is None:
        warnings.warn(
            f"{url} is not the server of the current context ({outer.url}): its "
            "token is not sent there, so only public datasets and sharing links "
            "open; use webknossos_context(url=..., token=...) for that server",
            UserWarning,
            stacklevel=4,
        )
    return Context(url=url, token=token, timeout=outer.timeout)


def resolve(
    dataset_name_or_url: str | None = None,
    organization_id: str | None = None,
    sharing_token: str | None = None,
    webknossos_url: str | None = None,
    dataset_id: str | None = None,
) -> Resolved:
    """Resolve the reference's open arguments (see the module docstring).

    Raises:
        InvalidArgumentError: a URL together with organization / token / server,
            or a URL that is not a dataset link.
        RemoteDatasetNotFoundError: no such dataset (a FileNotFoundError).
        WebknossosError: the server could not be asked.
    """
    outer = current()
    if dataset_id is not None:
        ctx = outer if webknossos_url is None else _context_for(webknossos_url, outer)
        return Resolved(ctx, dataset_id, sharing_token)
    if not dataset_name_or_url:
        raise InvalidArgumentError("give a dataset name, id or URL")
    text = str(dataset_name_or_url).strip()
    if _is_url(text):
        if organization_id or sharing_token or webknossos_url:
            raise InvalidArgumentError(
                "when a dataset URL is given, organization_id, sharing_token and "
                "webknossos_url must not be set (they are part of the URL)"
            )
        return _from_url(text, outer)
    ctx = outer if webknossos_url is None else _context_for(webknossos_url, outer)
    return _from_name(text, organization_id, sharing_token, ctx)


def _from_url(text: str, outer: Context, depth: int = 0) -> Resolved:
    parts = urllib.parse.urlsplit(text)
    query = urllib.parse.parse_qs(parts.query)
    tokens = query.get("token") or query.get("sharingToken") or []
    token = tokens[0] if tokens else None
    path = urllib.parse.unquote(parts.path)
    m = _SHORT_LINK.fullmatch(path)
    if m and depth == 0:
        base = f"{parts.scheme}://{parts.netloc}{m.group('prefix')}"
        ctx = _context_for(base, outer)
        return _from_url(api.short_link(m.group("key"), ctx), outer, depth + 1)
    m = _DATASET_PATH.fullmatch(path)
    if m:
        ctx = _context_for(f"{parts.scheme}://{parts.netloc}{m.group('prefix')}", outer)
        return Resolved(ctx, m.group("id").lower(), token)
    m = _DEPRECATED_PATH.fullmatch(path)
    if m:
        ctx = _context_for(f"{parts.scheme}://{parts.netloc}{m.group('prefix')}", outer)
        return _from_name(
            m.group("name"), m.group("org"), token, ctx, by_directory=True
        )
    raise InvalidArgumentError(
        f"{redact(text)} is not a link to a WEBKNOSSOS dataset (expected "
        ".../datasets/<id>[/view], .../datasets/<org>/<name> or .../links/<key>)"
    )


def _from_name(
    name: str,
    organization_id: str | None,
    sharing_token: str | None,
    ctx: Context,
    *,
    by_directory: bool = False,
) -> Resolved:
    if _ID.fullmatch(name):
        try:
            api.dataset_info(name.lower(), sharing_token, ctx)
            return Resolved(ctx, name.lower(), sharing_token)
        except WebknossosNotFoundError:
            pass  # an id-shaped name that is not an id
    org = organization_id or api.organization_id(ctx)
    if not by_directory:
        matches = [
            d
            for d in api.dataset_list(organization_id=org, name=name, ctx=ctx)
            if d.get("name") == name
        ]
        if matches:
            return Resolved(ctx, str(matches[0]["id"]), sharing_token)
    try:
        return Resolved(ctx, api.disambiguate(org, name, ctx), sharing_token)
    except WebknossosNotFoundError as e:
        raise RemoteDatasetNotFoundError(
            f"no dataset {name!r} in organization {org!r} on {ctx.url} (or it is "
            "not visible with the given token)",
            url=e.url,
            status=404,
            method="GET",
        ) from e
