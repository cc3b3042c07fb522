"""Rasterise a plan drawing (:mod:`wkfn.picture.plan_svg`) to PNG with Pillow.

Pillow comes with the ``images`` extra; without it, writing a PNG raises a
:class:`WkfnError` that says how to install it (SVG needs nothing).
"""

from __future__ import annotations

import io
from typing import Any

from wkfn.errors import WkfnError
from wkfn.picture.plan_svg import Drawing

__all__ = ["drawing_png"]


def _rgb(colour: str) -> tuple[int, int, int]:
    text = colour.lstrip("#") or "222222"
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def _font(image_font: Any, size: int) -> Any:
    try:
        return image_font.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return image_font.load_default()


def _dashed(draw: Any, box: tuple[float, float, float, float], fill: Any) -> None:
    x0, y0, x1, y1 = box
    dash, gap = 4.0, 3.0
    for a, b, fixed, horizontal in (
        (x0, x1, y0, True),
        (x0, x1, y1, True),
        (y0, y1, x0, False),
        (y0, y1, x1, False),
    ):
        pos = a
        while pos < b:
            end = min(pos + dash, b)
            if horizontal:
                draw.line([(pos, fixed), (end, fixed)], fill=fill)
            else:
                draw.line([(fixed, pos), (fixed, end)], fill=fill)
            pos = end + gap


def drawing_png(drawing: Drawing) -> bytes:
    """PNG bytes of a plan drawing (translucent regions, dashed array outlines).

    Raises:
        WkfnError: Pillow is not installed.
    """
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise WkfnError(
            "writing the plan picture as PNG needs Pillow: "
            "pip install 'wkfn[images]' (or write SVG: --svg plan.svg)"
        ) from None
    image = Image.new("RGB", (drawing.width, drawing.height), (255, 255, 255))
    draw = ImageDraw.Draw(image, "RGBA")
    for r in drawing.rects:
        box = (r.x, r.y, r.x + r.width, r.y + r.height)
        stroke = _rgb(r.stroke)
        if r.fill is not None:
            alpha = round(255 * r.fill_opacity)
            draw.rectangle(box, fill=(*_rgb(r.fill), alpha))
        if r.dashed:
            _dashed(draw, box, (*stroke, 255))
        else:
            draw.rectangle(box, outline=(*stroke, 255))
    fonts: dict[int, Any] = {}
    for t in drawing.texts:
        font = fonts.setdefault(t.size, _font(ImageFont, t.size))
        draw.text(
            (t.x, t.y), t.text, fill=_rgb(t.colour or "#222222"), font=font, anchor="ls"
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
