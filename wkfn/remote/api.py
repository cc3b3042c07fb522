"""The WEBKNOSSOS routes wkfn calls, one function each (API v16 / v15 shapes).

Each function sends one request through :mod:`wkfn.remote.client` (timeouts,
retries, typed errors) in the active context and checks the shape of the answer
it relies on. Path segments are percent-encoded. Route and JSON names follow the
server's ``conf/webknossos.latest.routes`` (see the project's server-api notes).
"""

from __future__ import annotations

from typing import Any

from wkfn.remote.client import (
    api_json,
    api_url,
    datastore_url,
    expect,
    quote,
    request,
)
from wkfn.remote.context import Context, current

JsonDict = dict[str, Any]


def current_user(ctx: Context | None = None) -> JsonDict:
    """``GET /user``: the token's user (``organization``, ``teams`` ...)."""
    ctx = ctx or current()
    user = api_json("GET", "/user", ctx=ctx)
    return expect(user, dict, "the user", api_url("/user", ctx))  # type: ignore[no-any-return]


def organization_id(ctx: Context | None = None) -> str:
    """The organization of the context's user."""
    ctx = ctx or current()
    return str(current_user(ctx)["organization"])


def dataset_info(
    dataset_id: str, sharing_token: str | None = None, ctx: Context | None = None
) -> JsonDict:
    """``GET /datasets/{id}``: everything the server knows about a dataset."""
    ctx = ctx or current()
    route = f"/datasets/{quote(dataset_id)}"
    info = api_json("GET", route, ctx=ctx, params={"sharingToken": sharing_token})
    return expect(info, dict, "the dataset", api_url(route, ctx))  # type: ignore[no-any-return]


def dataset_list(
    *,
    organization_id: str | None,
    name: str | None = None,
    folder_id: str | None = None,
    ctx: Context | None = None,
) -> list[JsonDict]:
    """``GET /datasets?isActive=true&...``: ``[{id, name, tags, ...}]``."""
    ctx = ctx or current()
    params: dict[str, Any] = {
        "isActive": True,
        "organizationId": organization_id,
        "searchQuery": name,
        "folderId": folder_id,
    }
    items = api_json("GET", "/datasets", ctx=ctx, params=params)
    expect(items, list, "the dataset list", api_url("/datasets", ctx))
    return [i for i in items if isinstance(i, dict) and "id" in i]


def disambiguate(org: str, directory_name: str, ctx: Context | None = None) -> str:
    """``GET /datasets/disambiguate/{org}/{name}/toId``: the dataset id."""
    route = f"/datasets/disambiguate/{quote(org)}/{quote(directory_name)}/toId"
    answer = api_json("GET", route, ctx=ctx)
    return str(expect(answer, dict, "the id", route)["id"])


def update_partial(
    dataset_id: str, updates: JsonDict, ctx: Context | None = None
) -> None:
    """``PATCH /datasets/{id}/updatePartial`` with only the changed keys."""
    api_json(
        "PATCH",
        f"/datasets/{quote(dataset_id)}/updatePartial",
        ctx=ctx,
        json_body=updates,
    )


def update_teams(
    dataset_id: str, team_ids: list[str], ctx: Context | None = None
) -> None:
    """``PATCH /datasets/{id}/teams`` with the list of team ids."""
    api_json(
        "PATCH", f"/datasets/{quote(dataset_id)}/teams", ctx=ctx, json_body=team_ids
    )


def sharing_token(dataset_id: str, ctx: Context | None = None) -> str:
    """``GET /datasets/{id}/sharingToken``."""
    route = f"/datasets/{quote(dataset_id)}/sharingToken"
    answer = api_json("GET", route, ctx=ctx)
    return str(expect(answer, dict, "the sharing token", route)["sharingToken"])


def delete_dataset(dataset_id: str, ctx: Context | None = None) -> None:
    """``DELETE /datasets/{id}``."""
    api_json("DELETE", f"/datasets/{quote(dataset_id)}", ctx=ctx)


def is_valid_new_name(name: str, ctx: Context | None = None) -> tuple[bool, list[str]]:
    """``GET /datasets/{name}/isValidNewName``: (valid, the server's reasons)."""
    route = f"/datasets/{quote(name)}/isValidNewName"
    answer = expect(api_json("GET", route, ctx=ctx), dict, "the check", route)
    return bool(answer.get("isValid")), [str(e) for e in answer.get("errors") or []]


def datastores(ctx: Context | None = None) -> list[JsonDict]:
    """``GET /datastores``: ``[{name, url, allowsUpload}]``."""
    return list(
        expect(
            api_json("GET", "/datastores", ctx=ctx), list, "datastores", "/datastores"
        )
    )


def upload_datastore(ctx: Context | None = None) -> str:
    """URL of the first datastore that accepts uploads."""
    for store in datastores(ctx):
        if store.get("allowsUpload"):
            return str(store["url"])
    from wkfn.remote.client import WebknossosError

    url = api_url("/datastores", ctx)
    raise WebknossosError(f"no datastore of {url} accepts uploads", url=url)


def teams(ctx: Context | None = None) -> list[JsonDict]:
    """``GET /teams``: ``[{id, name, organization}]``."""
    return list(expect(api_json("GET", "/teams", ctx=ctx), list, "teams", "/teams"))


def folder_tree(ctx: Context | None = None) -> list[JsonDict]:
    """``GET /folders/tree``: ``[{id, name, parent}]``."""
    return list(
        expect(
            api_json("GET", "/folders/tree", ctx=ctx), list, "folders", "/folders/tree"
        )
    )


def short_link(key: str, ctx: Context) -> str:
    """``GET /shortLinks/byKey/{key}``: the long link."""
    route = f"/shortLinks/byKey/{quote(key)}"
    return str(
        expect(api_json("GET", route, ctx=ctx), dict, "the link", route)["longLink"]
    )


def explore_and_add_remote(body: JsonDict, ctx: Context | None = None) -> str:
    """``POST /datasets/exploreAndAddRemote``: the new dataset's id."""
    answer = api_json("POST", "/datasets/exploreAndAddRemote", ctx=ctx, json_body=body)
    if isinstance(answer, dict) and "id" in answer:
        return str(answer["id"])
    return str(expect(answer, str, "the new id", "/datasets/exploreAndAddRemote"))


def trigger_reload(
    datastore: str, org: str, dataset_id: str, ctx: Context | None = None
) -> None:
    """``POST {datastore}/data/v15/triggers/reload/{org}/{id}``."""
    url = datastore_url(datastore, f"/triggers/reload/{quote(org)}/{quote(dataset_id)}")
    request("POST", url, context=ctx)


def zarr_url(datastore: str, dataset_id: str) -> str:
    """Root of the dataset's zarr streaming route (with trailing slash)."""
    return datastore_url(datastore, f"/zarr/{quote(dataset_id)}/")
