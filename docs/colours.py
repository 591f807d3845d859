"""Check the event-type colours of static/brink.css for colour-blind readers and for text contrast.

    .venv/bin/python docs/colours.py

For the light and the dark scheme: every pair of type colours as seen with normal vision and
simulated protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, severity
1.0, applied to linear sRGB — the matrices Chrome's and Firefox's DevTools use), their CIEDE2000
distance; and the contrast (WCAG 2.1) of each type colour as an icon/border on the card surface
and, mixed as `.type-label` mixes it, as text. The numbers are recorded in docs/design.md.
"""

import itertools
import math
import re
import sys
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "static" / "brink.css"

MACHADO = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
VISIONS = ["normal", *MACHADO]

RGB = tuple[float, float, float]


def schemes(css: str) -> dict[str, dict[str, str]]:
    """The custom properties of the first `:root` block (light) and of the first `:root` inside
    `prefers-color-scheme: dark` (dark), as {name: value}."""
    light = re.search(r":root\s*{(.*?)}", css, re.S)
    dark = re.search(r"prefers-color-scheme:\s*dark\)\s*{\s*:root\s*{(.*?)}", css, re.S)
    assert light and dark, "brink.css has no light or no dark :root block"
    found = {}
    for name, block in [("light", light.group(1)), ("dark", dark.group(1))]:
        found[name] = dict(re.findall(r"--([\w-]+):\s*([^;]+);", block))
    return found


def hex_rgb(value: str) -> RGB:
    value = value.strip().lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def from_linear(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def mix(a: RGB, b: RGB, share: float) -> RGB:
    """`color-mix(in srgb, a share, b)`: a straight interpolation of the sRGB values."""
    return tuple(x * share + y * (1 - share) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def luminance(rgb: RGB) -> float:
    r, g, b = (to_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def simulate(rgb: RGB, vision: str) -> RGB:
    if vision == "normal":
        return rgb
    linear = [to_linear(c) for c in rgb]
    return tuple(  # type: ignore[return-value]
        from_linear(sum(row[j] * linear[j] for j in range(3))) for row in MACHADO[vision]
    )


def lab(rgb: RGB) -> RGB:
    r, g, b = (to_linear(c) for c in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1: RGB, lab2: RGB) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl = l2 - l1
    dc = c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    elif h2p - h1p > 180:
        dh = h2p - h1p - 360
    else:
        dh = h2p - h1p + 360
    dH = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        h_bar = (h1p + h2p + 360) / 2
    else:
        h_bar = (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cp_bar**7 / (cp_bar**7 + 25**7))
    sl = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    sc = 1 + 0.045 * cp_bar
    sh = 1 + 0.015 * cp_bar * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dH / sh) ** 2 + rt * (dc / sc) * (dH / sh))


def type_colours(variables: dict[str, str]) -> dict[str, RGB]:
    return {name[2:]: hex_rgb(value) for name, value in variables.items() if name.startswith("t-")}


def distances(colours: dict[str, RGB], vision: str) -> list[tuple[float, str, str]]:
    """Every pair's CIEDE2000 distance as seen with `vision`, closest first."""
    seen = {name: lab(simulate(rgb, vision)) for name, rgb in colours.items()}
    pairs = itertools.combinations(sorted(colours), 2)
    return sorted((ciede2000(seen[a], seen[b]), a, b) for a, b in pairs)


def label_colour(variables: dict[str, str], type_slug: str) -> RGB:
    """What `.type-label` paints: color-mix(in srgb, type share, text)."""
    share = float(variables["type-text-share"].strip().rstrip("%")) / 100
    return mix(hex_rgb(variables[f"t-{type_slug}"]), hex_rgb(variables["text"]), share)


def report(css: str) -> str:
    lines = []
    for scheme, variables in schemes(css).items():
        colours = type_colours(variables)
        surface = hex_rgb(variables["surface"])
        lines.append(f"## {scheme}\n")
        lines.append("| vision | closest pairs (CIEDE2000) | pairs under 10 |")
        lines.append("| --- | --- | --- |")
        for vision in VISIONS:
            found = distances(colours, vision)
            closest = ", ".join(f"{a}/{b} {d:.1f}" for d, a, b in found[:4])
            under = sum(1 for d, _, _ in found if d < 10)
            lines.append(f"| {vision} | {closest} | {under} of {len(found)} |")
        lines.append("\n| type | colour | as icon on surface | label text on surface |")
        lines.append("| --- | --- | --- | --- |")
        for slug, rgb in colours.items():
            text = contrast(label_colour(variables, slug), surface)
            lines.append(
                f"| {slug} | {variables['t-' + slug]} | {contrast(rgb, surface):.2f}:1 "
                f"| {text:.2f}:1 |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report(CSS.read_text()))
