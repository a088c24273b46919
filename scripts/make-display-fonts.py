#!/usr/bin/env python3
"""
Renders the firmware's display fonts as AngelCode BMFont files (binary .fnt version 3 plus a
.png glyph atlas, black with the glyph coverage in alpha), the input Moddable's font tools take:
mcconfig's "*-mask" resources run png2bmp and compressbmf on them to make the .bf4 fonts that
Commodetto's parseBMF reads. (The SDK's TrueType path runs fontbm, which no Debian package
ships; this script stands in for that one step and writes the same format.)

    /usr/bin/python3 scripts/make-display-fonts.py      # needs Debian's python3-pil, fonts-dejavu-core

Writes hosts/moddable/fonts/DejaVuSans-Bold-16.{fnt,png} (text: Basic Latin, Latin-1
Supplement, Latin Extended-A, the common typographic marks, U+FFFD for glyphs a text needs that
the font lacks) and DejaVuSans-Bold-48.{fnt,png} (the large temperature: digits, signs, degree).
Format: http://www.angelcode.com/products/bmfont/doc/file_format.html (binary, version 3).
"""
import os
import struct
import sys

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "hosts", "moddable", "fonts")
TTF = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

TEXT_CHARS = (
    list(range(0x20, 0x7F))  # Basic Latin
    + list(range(0xA0, 0x100))  # Latin-1 Supplement (°, ±, µ, umlauts, ß, ...)
    + list(range(0x100, 0x180))  # Latin Extended-A (ą, č, ł, ő, š, ž, ...)
    + [0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026, 0x20AC, 0x2212, 0xFFFD]
)
LARGE_CHARS = [ord(c) for c in " +-.0123456789CF"] + [0xB0, 0x2212]


def render(name, size, chars, atlas_width):
    font = ImageFont.truetype(TTF, size)
    ascent, descent = font.getmetrics()
    glyphs = []
    for cp in sorted(set(chars)):
        ch = chr(cp)
        x0, y0, x1, y1 = font.getbbox(ch)
        if x1 <= x0 or y1 <= y0:
            x0, y0, x1, y1 = 0, 0, 0, 0  # a space: advance only
        glyphs.append((cp, ch, x0, y0, x1 - x0, y1 - y0, round(font.getlength(ch))))
    # Shelf packing, one pixel apart.
    x = y = shelf = 0
    placed = []
    for cp, ch, x0, y0, w, h, adv in glyphs:
        if x + w + 1 > atlas_width:
            x, y, shelf = 0, y + shelf + 1, 0
        placed.append((cp, ch, x, y, x0, y0, w, h, adv))
        x += w + 1
        shelf = max(shelf, h)
    height = y + shelf + 1
    mask = Image.new("L", (atlas_width, height), 0)
    draw = ImageDraw.Draw(mask)
    for cp, ch, x, y, x0, y0, w, h, adv in placed:
        if w and h:
            draw.text((x - x0, y - y0), ch, font=font, fill=255)
    atlas = Image.new("RGBA", (atlas_width, height), (0, 0, 0, 0))
    atlas.putalpha(mask)
    png = f"{name}.png"
    atlas.save(os.path.join(OUT, png), optimize=True)

    face = b"DejaVu Sans Bold\0"
    info = struct.pack("<hBBHBBBBBBBB", size, 0b0000_0011, 0, 100, 1, 0, 0, 0, 0, 1, 1, 0) + face
    common = struct.pack("<HHHHHBBBBB", ascent + descent, ascent, atlas_width, height, 1, 0, 0, 0, 0, 0)
    pages = png.encode() + b"\0"
    chars = b"".join(struct.pack("<IHHHHhhhBB", cp, x, y, w, h, x0, y0, adv, 0, 15) for cp, ch, x, y, x0, y0, w, h, adv in placed)
    data = b"BMF\x03"
    for kind, block in ((1, info), (2, common), (3, pages), (4, chars)):
        data += struct.pack("<BI", kind, len(block)) + block
    with open(os.path.join(OUT, f"{name}.fnt"), "wb") as f:
        f.write(data)
    print(f"{name}: {len(placed)} glyphs, atlas {atlas_width}x{height}, line {ascent + descent}, base {ascent}")


if __name__ == "__main__":
    if not os.path.exists(TTF):
        sys.exit(f"make-display-fonts: {TTF} is missing (apt-get install fonts-dejavu-core)")
    os.makedirs(OUT, exist_ok=True)
    render("DejaVuSans-Bold-16", 15, TEXT_CHARS, 256)
    render("DejaVuSans-Bold-48", 44, LARGE_CHARS, 256)
