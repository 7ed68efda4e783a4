"""Posters for commune offices: a QR code of the bot's deep link with the place's name under it.

segno draws the QR code (no hand-written encoding); Pillow adds the caption in
a font with Vietnamese glyphs (DejaVu Sans when installed, Pillow's own otherwise).
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def deep_link(username: str, payload: str) -> str:
    return f"https://t.me/{username}?start={payload}"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def make_poster(link: str, caption: str, out: Path, scale: int = 12) -> None:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    font = _font(max(24, code.width // 14))
    probe = ImageDraw.Draw(code)
    lines = _wrap(probe, caption, font, code.width - 40)
    line_height = int(font.size * 1.3) if hasattr(font, "size") else 30
    poster = Image.new("RGB", (code.width, code.height + line_height * len(lines) + 30), "white")
    poster.paste(code, (0, 0))
    draw = ImageDraw.Draw(poster)
    y = code.height
    for line in lines:
        x = (code.width - draw.textlength(line, font=font)) / 2
        draw.text((x, y), line, fill="black", font=font)
        y += line_height
    out.parent.mkdir(parents=True, exist_ok=True)
    poster.save(out)
