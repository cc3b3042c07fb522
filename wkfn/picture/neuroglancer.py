"""What ``wkfn serve`` shows: a neuroglancer state for a served dataset, its link,
and the HTML index page listing the layers.

Neuroglancer reads zarr3 (OME-NGFF 0.5) and zarr v2 (OME-NGFF 0.4) layers over HTTP:
a layer whose mags live in the layer directory is given as the layer's multiscale
group (all mags, with their scales), otherwise as its finest mag's array. wkw layers
have no neuroglancer source and are listed without one.

Example:
    >>> ng_source("zarr3", "http://127.0.0.1:8000/", "color")
    'zarr3://http://127.0.0.1:8000/color/'
"""

from __future__ import annotations

import html
import json
import urllib.parse
from typing import Any

from wkfn.picture.window import configured_window
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec

__all__ = [
    "NEUROGLANCER_URL",
    "index_page",
    "layer_source_path",
    "neuroglancer_link",
    "neuroglancer_state",
    "ng_source",
]

NEUROGLANCER_URL = "https://neuroglancer-demo.appspot.com/"
_SCHEMES = {"zarr3": "zarr3", "zarr": "zarr2"}
_UNIT_METRES = {
    "yoctometer": 1e-24,
    "zeptometer": 1e-21,
    "attometer": 1e-18,
    "femtometer": 1e-15,
    "picometer": 1e-12,
    "nanometer": 1e-9,
    "micrometer": 1e-6,
    "millimeter": 1e-3,
    "centimeter": 1e-2,
    "decimeter": 1e-1,
    "meter": 1.0,
    "hectometer": 1e2,
    "kilometer": 1e3,
}


def _quote_path(path: str) -> str:
    return "/".join(urllib.parse.quote(part) for part in path.split("/"))


def ng_source(data_format: str, base_url: str, path: str) -> str | None:
    """``zarr3://`` / ``zarr2://`` URL of ``path`` under ``base_url``; None for wkw."""
    scheme = _SCHEMES.get(data_format)
    if scheme is None:
        return None
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{scheme}://{base}{_quote_path(path.strip('/'))}/"


def layer_source_path(layer: LayerSpec) -> str | None:
    """Path (relative to the dataset) neuroglancer should open for ``layer``.

    The layer directory when every mag is ``./<layer>/<mag>`` inside it (the OME
    multiscale group), else the finest mag's relative path; None when the finest
    mag lives outside the dataset (an absolute path or URL).
    """
    if not layer.mags:
        return None
    inside = [(m.path or f"./{layer.name}/{_mag_name(m.mag)}") for m in layer.mags]
    prefix = f"./{layer.name}/"
    if all(p.startswith(prefix) and "/" not in p[len(prefix) :] for p in inside):
        return layer.name
    finest = min(zip(layer.mags, inside), key=lambda pair: max(pair[0].mag))[1]
    if finest.startswith("./"):
        return finest[2:]
    return None


def _mag_name(mag: tuple[int, int, int]) -> str:
    return str(mag[0]) if mag[0] == mag[1] == mag[2] else "-".join(map(str, mag))


def neuroglancer_state(spec: DatasetSpec, base_url: str) -> dict[str, Any]:
    """A neuroglancer viewer state showing every layer neuroglancer can read."""
    factor = spec.scale.factor
    metres = _UNIT_METRES.get(spec.scale.unit, 1e-9)
    layers: list[dict[str, Any]] = []
    centre: list[float] | None = None
    for layer in spec.data_layers:
        path = layer_source_path(layer)
        source = ng_source(layer.data_format, base_url, path) if path else None
        if source is None or layer.additional_axes:
            continue
        entry: dict[str, Any] = {
            "type": "segmentation" if layer.category == "segmentation" else "image",
            "source": source,
            "name": layer.name,
        }
        window = configured_window(layer.default_view_configuration)
        if window is not None and entry["type"] == "image":
            entry["shaderControls"] = {"normalized": {"range": list(window)}}
        layers.append(entry)
        if centre is None:
            bb = layer.bounding_box
            size = (bb.width, bb.height, bb.depth)
            centre = [bb.top_left[i] + size[i] / 2 for i in range(3)]
    state: dict[str, Any] = {
        "dimensions": {
            axis: [float(f"{factor[i] * metres:.9g}"), "m"]
            for i, axis in enumerate("xyz")
        },
        "layers": layers,
        "layout": "4panel",
    }
    if centre is not None:
        state["position"] = centre
    if layers:
        state["selectedLayer"] = {"layer": layers[0]["name"], "visible": True}
    return state


def neuroglancer_link(state: dict[str, Any]) -> str:
    """``https://neuroglancer-demo.appspot.com/#!<url-encoded JSON state>``."""
    text = json.dumps(state, separators=(",", ":"))
    return f"{NEUROGLANCER_URL}#!{urllib.parse.quote(text, safe='')}"


def index_page(spec: DatasetSpec, base_url: str, preview_prefix: str) -> str:
    """HTML page: the dataset's layers, their mags and previews, a neuroglancer link.

    Previews are ``<preview_prefix><layer>.png`` images rendered by the server.
    """
    state = neuroglancer_state(spec, base_url)
    readable = {entry["name"] for entry in state["layers"]}
    esc = html.escape
    rows: list[str] = []
    for layer in spec.data_layers:
        bb = layer.bounding_box
        mags = ", ".join(_mag_name(m.mag) for m in layer.mags) or "none"
        extra = "".join(
            f" {esc(a.name)}[{a.bounds[0]},{a.bounds[1]})"
            for a in layer.additional_axes
        )
        viewer = (
            "in neuroglancer"
            if layer.name in readable
            else "no neuroglancer source (wkw, n-D or outside the dataset)"
        )
        image = (
            ""
            if layer.additional_axes or not layer.mags
            else f'<img alt="{esc(layer.name)} preview" src="'
            f'{esc(preview_prefix + urllib.parse.quote(layer.name))}.png">'
        )
        rows.append(
            f'<li class="layer" id="layer-{esc(layer.name)}"><h2>{esc(layer.name)}</h2>'
            f"<p>{esc(layer.category)} {esc(layer.element_class)} x{layer.num_channels}"
            f" {esc(layer.data_format)}, box {tuple(bb.top_left)} + "
            f"{(bb.width, bb.height, bb.depth)}{extra}, mags {esc(mags)}; {viewer}</p>"
            f"{image}</li>"
        )
    link = neuroglancer_link(state)
    name = esc(spec.id.name or "dataset")
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{name} - wkfn serve</title>"
        "<style>body{font-family:sans-serif;background:#111;color:#ddd;margin:2em}"
        "a{color:#8cf}img{image-rendering:pixelated;max-width:512px;"
        "border:1px solid #444}li{list-style:none;margin-bottom:2em}</style>"
        f"</head><body><h1>{name}</h1>"
        f"<p>Served read-only from <code>{esc(base_url)}</code>: open it with "
        f"<code>wkfn.Dataset.open(&quot;{esc(base_url)}&quot;)</code> or "
        f'<a id="neuroglancer" href="{esc(link)}">view every layer in neuroglancer</a>.'
        f"</p><ul>{''.join(rows)}</ul></body></html>\n"
    )
