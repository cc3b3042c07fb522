"""A picture of a plan: which boxes of which mags an apply writes, one colour per op
kind, so a reviewer sees at a glance what it will touch.

One row per layer, one panel per mag of that layer. Every panel shows the xy
projection of the same Mag-1 region (the extent of everything the plan touches in
that layer), so boxes line up across mags. Regions are translucent: darker means
several ops (different z) overlap. Array creations and resizes outline the array's
extent; ops without a box (properties, deletions, links …) are listed below.

:func:`plan_drawing` computes the geometry as plain records; :func:`to_svg` writes
it as SVG text; the shell rasterises the same records to PNG.

Example:
    >>> from wkfn.plan.plan import Plan
    >>> svg = to_svg(plan_drawing(Plan(base="a", target="b")))
    >>> svg.startswith("<svg") and "no changes" in svg
    True
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field

from wkfn.geometry.mag import Mag
from wkfn.plan.ops import (
    CopyRegion,
    CreateArray,
    DownsampleRegion,
    ImportImages,
    PlanOp,
    ResizeArray,
    UpsampleRegion,
    WriteRegion,
)
from wkfn.plan.plan import Plan

__all__ = [
    "KIND_COLOURS",
    "Drawing",
    "Rect",
    "Region",
    "Text",
    "op_kind",
    "op_region",
    "plan_drawing",
    "to_svg",
]

Vec3 = tuple[int, int, int]

KIND_COLOURS: dict[str, str] = {
    "create": "#2ca02c",
    "resize": "#bcbd22",
    "write": "#1f77b4",
    "import": "#e377c2",
    "downsample": "#9467bd",
    "upsample": "#17becf",
    "copy": "#ff7f0e",
    "delete": "#d62728",
    "move": "#8c564b",
    "copy tree": "#8c564b",
    "link": "#8c564b",
    "replace": "#8c564b",
    "properties": "#7f7f7f",
}
_KIND_BY_TAG = {
    "create_array": "create",
    "resize_array": "resize",
    "write_region": "write",
    "import_images": "import",
    "downsample_region": "downsample",
    "upsample_region": "upsample",
    "copy_region": "copy",
    "delete_path": "delete",
    "move_path": "move",
    "copy_tree": "copy tree",
    "link_path": "link",
    "replace_path": "replace",
    "write_properties": "properties",
}

PANEL = 200
"""Longest side of a panel in pixels."""
MARGIN = 16
LABEL = 18
TITLE = 28
LINE = 15
MAX_LISTED = 40
WRAP = 110


def op_kind(op: PlanOp) -> str:
    """The kind an op is drawn as (a key of :data:`KIND_COLOURS`)."""
    tag = str(type(op).__struct_config__.tag)
    return _KIND_BY_TAG.get(tag, tag)


@dataclass(frozen=True)
class Region:
    """A Mag-1 box of one mag of one layer that an op writes (or creates)."""

    layer: str
    mag: Vec3
    kind: str
    topleft: Vec3
    size: Vec3
    label: str
    outline: bool = False
    """True for array creations/resizes: the array's extent, drawn as an outline."""


def _scaled(offset: Vec3, size: Vec3, mag: Vec3) -> tuple[Vec3, Vec3]:
    return (
        (offset[0] * mag[0], offset[1] * mag[1], offset[2] * mag[2]),
        (size[0] * mag[0], size[1] * mag[1], size[2] * mag[2]),
    )


def op_region(op: PlanOp) -> Region | None:
    """The Mag-1 box an op touches, or None for ops without one."""
    kind, label = op_kind(op), op.describe()
    if isinstance(op, WriteRegion):
        mag = Mag(op.mag).to_tuple()
        shape = op.payload.shape[-3:]
        box = _scaled(op.offset, (shape[0], shape[1], shape[2]), mag)
        return Region(op.layer, mag, kind, *box, label)
    if isinstance(op, DownsampleRegion | UpsampleRegion):
        mag = op.target_mag
        return Region(op.layer, mag, kind, *_scaled(op.offset, op.size, mag), label)
    if isinstance(op, CopyRegion | ImportImages):
        mag = Mag(op.mag).to_tuple()
        return Region(op.layer, mag, kind, *_scaled(op.offset, op.size, mag), label)
    if isinstance(op, CreateArray):
        mag = Mag(op.mag).to_tuple()
        box = _scaled((0, 0, 0), op.layout.shape, mag)
        return Region(op.layer, mag, kind, *box, label, outline=True)
    if isinstance(op, ResizeArray):
        mag = Mag(op.mag).to_tuple()
        box = _scaled((0, 0, 0), op.shape, mag)
        return Region(op.layer, mag, kind, *box, label, outline=True)
    return None


@dataclass(frozen=True)
class Rect:
    """A rectangle in picture pixels."""

    x: float
    y: float
    width: float
    height: float
    stroke: str
    fill: str | None = None
    fill_opacity: float = 0.35
    dashed: bool = False
    title: str = ""


@dataclass(frozen=True)
class Text:
    """A line of text; ``(x, y)`` is the left end of its baseline."""

    x: float
    y: float
    text: str
    size: int = 12
    colour: str = "#222222"
    bold: bool = False


@dataclass(frozen=True)
class Drawing:
    """Everything to draw, in picture pixels; shapes are painted in order."""

    width: int
    height: int
    rects: tuple[Rect, ...] = ()
    texts: tuple[Text, ...] = ()
    kinds: tuple[str, ...] = field(default=())


def _mag_key(mag: Vec3) -> tuple[int, Vec3]:
    return (max(mag), mag)


def _mag_label(mag: Vec3) -> str:
    return str(mag[0]) if mag[0] == mag[1] == mag[2] else "-".join(map(str, mag))


def plan_drawing(plan: Plan) -> Drawing:
    """The geometry of a plan's picture (see the module docstring)."""
    regions: list[Region] = []
    listed: list[tuple[str, str]] = []
    kinds: list[str] = []
    for op in plan.ops:
        kind = op_kind(op)
        if kind not in kinds:
            kinds.append(kind)
        region = op_region(op)
        if region is None:
            listed.append((kind, op.describe()))
        else:
            regions.append(region)
    layers: dict[str, list[Region]] = {}
    for region in regions:
        layers.setdefault(region.layer, []).append(region)

    rects: list[Rect] = []
    texts: list[Text] = []
    title = f"plan: {len(plan.ops)} ops in {len(plan.stages)} stages"
    if plan.is_empty():
        title = "plan: no changes"
    texts.append(Text(MARGIN, MARGIN + 14, title, size=16, bold=True))
    # legend
    x = float(MARGIN)
    legend_y = MARGIN + TITLE
    for kind in kinds:
        colour = KIND_COLOURS.get(kind, "#000000")
        rects.append(Rect(x, legend_y - 10, 12, 12, colour, colour, 0.8))
        texts.append(Text(x + 16, legend_y, kind))
        x += 24 + 7 * len(kind)
    y: float = legend_y + LABEL
    width = int(x) + MARGIN
    for name, layer_regions in layers.items():
        lo = [min(r.topleft[i] for r in layer_regions) for i in range(2)]
        hi = [max(r.topleft[i] + r.size[i] for r in layer_regions) for i in range(2)]
        extent = (max(hi[0] - lo[0], 1), max(hi[1] - lo[1], 1))
        scale = PANEL / max(extent)
        pw, ph = extent[0] * scale, extent[1] * scale
        zs = (
            min(r.topleft[2] for r in layer_regions),
            max(r.topleft[2] + r.size[2] for r in layer_regions),
        )
        texts.append(
            Text(
                MARGIN,
                y + 14,
                f"layer {name}: x {lo[0]}..{hi[0]}, y {lo[1]}..{hi[1]}, "
                f"z {zs[0]}..{zs[1]} (Mag-1 voxels, xy projection)",
                size=13,
                bold=True,
            )
        )
        y += LABEL + 4
        mags = sorted({r.mag for r in layer_regions}, key=_mag_key)
        for column, mag in enumerate(mags):
            px = MARGIN + column * (pw + MARGIN)
            counts: dict[str, int] = {}
            for r in layer_regions:
                if r.mag == mag:
                    counts[r.kind] = counts.get(r.kind, 0) + 1
            what = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            texts.append(Text(px, y + 12, f"mag {_mag_label(mag)}: {what}"))
            top = y + LABEL
            rects.append(Rect(px, top, pw, ph, "#999999", "#f4f4f4", 1.0))
            for r in (r for r in layer_regions if r.mag == mag):
                colour = KIND_COLOURS.get(r.kind, "#000000")
                rects.append(
                    Rect(
                        px + (r.topleft[0] - lo[0]) * scale,
                        top + (r.topleft[1] - lo[1]) * scale,
                        max(r.size[0] * scale, 1.0),
                        max(r.size[1] * scale, 1.0),
                        colour,
                        None if r.outline else colour,
                        dashed=r.outline,
                        title=r.label,
                    )
                )
            width = max(width, int(px + pw) + MARGIN)
        y += LABEL + ph + MARGIN
    if listed:
        texts.append(Text(MARGIN, y + 12, "ops without a box:", size=13, bold=True))
        y += LINE + 4
        for kind, line in listed[:MAX_LISTED]:
            for part in textwrap.wrap(line, WRAP, subsequent_indent="    "):
                texts.append(
                    Text(MARGIN, y + 11, part, colour=KIND_COLOURS.get(kind, ""))
                )
                width = max(width, MARGIN * 2 + 7 * len(part))
                y += LINE
        if len(listed) > MAX_LISTED:
            texts.append(Text(MARGIN, y + 11, f"… {len(listed) - MAX_LISTED} more"))
            y += LINE
    return Drawing(
        width=max(width, 320),
        height=int(y) + MARGIN,
        rects=tuple(rects),
        texts=tuple(texts),
        kinds=tuple(kinds),
    )


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def to_svg(drawing: Drawing) -> str:
    """SVG text of a drawing (each region carries its op line as a tooltip)."""
    esc = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{drawing.width}" '
        f'height="{drawing.height}" viewBox="0 0 {drawing.width} {drawing.height}" '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for r in drawing.rects:
        fill = (
            f'fill="{r.fill}" fill-opacity="{_num(r.fill_opacity)}"'
            if r.fill
            else 'fill="none"'
        )
        dash = ' stroke-dasharray="4 3"' if r.dashed else ""
        title = f"<title>{esc(r.title)}</title>" if r.title else ""
        parts.append(
            f'<rect x="{_num(r.x)}" y="{_num(r.y)}" width="{_num(r.width)}" '
            f'height="{_num(r.height)}" stroke="{r.stroke}" {fill}{dash}>{title}</rect>'
        )
    for t in drawing.texts:
        weight = ' font-weight="bold"' if t.bold else ""
        parts.append(
            f'<text x="{_num(t.x)}" y="{_num(t.y)}" font-size="{t.size}" '
            f'fill="{t.colour or "#222222"}"{weight}>{esc(t.text)}</text>'
        )
    parts.append("</svg>\n")
    return "\n".join(parts)
