"""Draw Brink's favicon and app icons into static/icons/ (the outputs are committed).

    .venv/bin/python docs/icons.py

The mark: a cliff edge — the ground the crisis stands on, and a point past the edge — in white on
the accent colour, on a 32-unit grid so it stays legible at 16 px. It carries its own background,
so it reads on light and dark browser tabs alike. One geometry feeds the SVG and every PNG;
the PNGs are drawn 16 times larger and scaled down, which gives smooth, reproducible edges.
"""

from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
ACCENT = "#9a3412"  # --accent of the light theme in static/brink.css: white on it is 7.3:1
INK = "#ffffff"
GRID = 32
RADIUS = 7  # the rounded corner of the favicon's square
EDGE = [(5, 15), (18, 15), (18, 27)]  # the cliff's outline: flat ground, then a sheer drop
STROKE = 4
POINT = (24.5, 9.5, 3.5)  # centre x, centre y, radius: what is about to go over
SUPERSAMPLE = 16


def svg() -> str:
    x, y, r = POINT
    edge = "M" + " L".join(f"{px} {py}" for px, py in EDGE)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {GRID} {GRID}">'
        f'<rect width="{GRID}" height="{GRID}" rx="{RADIUS}" fill="{ACCENT}"/>'
        f'<path d="{edge}" fill="none" stroke="{INK}" stroke-width="{STROKE}"'
        ' stroke-linecap="square"/>'
        f'<circle cx="{x}" cy="{y}" r="{r}" fill="{INK}"/>'
        "</svg>\n"
    )


def draw(size: int, rounded: bool = True, scale: float = 1.0) -> Image.Image:
    """The mark at `size` px. `rounded=False` fills the square (iOS and Android round it
    themselves); `scale` < 1 shrinks the drawing into the maskable safe zone."""
    big = size * SUPERSAMPLE
    unit = big / GRID
    image = Image.new("RGBA", (big, big), ACCENT)
    canvas = ImageDraw.Draw(image)

    def at(x: float, y: float) -> tuple[float, float]:
        middle = GRID / 2
        return ((middle + (x - middle) * scale) * unit, (middle + (y - middle) * scale) * unit)

    # Square caps and a mitred corner, as the SVG draws them: rectangles around each segment.
    half = STROKE / 2
    for (x1, y1), (x2, y2) in zip(EDGE, EDGE[1:], strict=False):
        corner1 = at(min(x1, x2) - half, min(y1, y2) - half)
        corner2 = at(max(x1, x2) + half, max(y1, y2) + half)
        canvas.rectangle((*corner1, *corner2), fill=INK)
    x, y, r = POINT
    (left, top), (right, bottom) = at(x - r, y - r), at(x + r, y + r)
    canvas.ellipse((left, top, right, bottom), fill=INK)
    if rounded:
        mask = Image.new("L", (big, big), 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, big - 1, big - 1), RADIUS * unit, fill=255)
        image.putalpha(mask)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "favicon.svg").write_text(svg())
    (OUT / "icon-32.png").write_bytes(png(draw(32)))
    (OUT / "icon-192.png").write_bytes(png(draw(192)))
    (OUT / "icon-512.png").write_bytes(png(draw(512)))
    (OUT / "apple-touch-icon.png").write_bytes(png(draw(180, rounded=False)))
    # Maskable: the platform cuts its own shape; everything that matters within the middle 80%.
    (OUT / "icon-maskable-512.png").write_bytes(png(draw(512, rounded=False, scale=0.8)))
    sizes = [16, 32, 48]
    ico = BytesIO()
    smaller = [draw(size) for size in sizes[:-1]]
    draw(48).save(ico, format="ICO", sizes=[(s, s) for s in sizes], append_images=smaller)
    (OUT / "favicon.ico").write_bytes(ico.getvalue())


if __name__ == "__main__":
    main()
