"""The synthetic world against the real GEOS-CF frames: the statistics table and the side-by-side picture.

Prints the Markdown table of docs/synthetic-world.md and writes docs/img/synthetic-vs-real.png (a truth
frame of the default demo beside the first real GEOS-CF frame, same colour scale). Needs Pillow (it comes
with the app dependencies):

    .venv/bin/python scripts/synthetic_report.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import deepcams
from deepcams.synthetic import make_world
from deepcams.synthetic.realism import field_statistics

ROOT = Path(__file__).resolve().parents[1]
# a perceptual dark-to-bright ramp (anchor colours of the "inferno" family), log10 scale LOW..HIGH ug m-3
ANCHORS = np.array(
    [
        [0, 0, 4],
        [40, 11, 84],
        [101, 21, 110],
        [159, 42, 99],
        [212, 72, 66],
        [245, 125, 21],
        [250, 193, 39],
        [252, 255, 164],
    ],
    dtype="float64",
)
LOW, HIGH = 0.3, 1000.0
MISSING = (150, 150, 150)


def colour(frame: np.ndarray) -> np.ndarray:
    """(lat, lon) ug m-3 with lat ascending -> (rows, cols, 3) uint8, north up; NaN in grey."""
    scaled = (np.log10(np.clip(frame, LOW, HIGH)) - np.log10(LOW)) / (np.log10(HIGH) - np.log10(LOW))
    position = np.nan_to_num(scaled) * (len(ANCHORS) - 1)
    lower = np.clip(np.floor(position).astype(int), 0, len(ANCHORS) - 2)
    weight = (position - lower)[..., None]
    rgb = ANCHORS[lower] * (1 - weight) + ANCHORS[lower + 1] * weight
    rgb[np.isnan(frame)] = MISSING
    return rgb[::-1].astype("uint8")


def picture(synthetic: np.ndarray, real: np.ndarray, titles: tuple[str, str], path: Path) -> None:
    panels = [Image.fromarray(colour(f)).resize((720, 361), Image.Resampling.BOX) for f in (synthetic, real)]
    bar_height, top, gap = 40, 22, 12
    canvas = Image.new("RGB", (2 * 720 + gap, top + 361 + bar_height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for k, (panel, title) in enumerate(zip(panels, titles, strict=True)):
        canvas.paste(panel, (k * (720 + gap), top))
        draw.text((k * (720 + gap) + 4, 5), title, fill=(0, 0, 0))
    ramp = np.linspace(np.log10(LOW), np.log10(HIGH), 600)
    bar = colour(np.tile(10**ramp, (12, 1)))
    canvas.paste(Image.fromarray(bar), (420, top + 361 + 6))
    for value in (1, 10, 100, 1000):
        x = 420 + int((np.log10(value) - np.log10(LOW)) / (np.log10(HIGH) - np.log10(LOW)) * 599)
        draw.text((x - 8, top + 361 + 22), f"{value:g}", fill=(0, 0, 0))
    draw.text((250, top + 361 + 8), "PM2.5, ug m-3 (log)", fill=(0, 0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--image", default=str(ROOT / "docs" / "img" / "synthetic-vs-real.png"))
    args = parser.parse_args()

    real = deepcams.open_sample_geoscf()
    _, truth = make_world(days=args.days, seed=args.seed)
    rows = {
        "real GEOS-CF, 4 frames (visible bands)": field_statistics(real),
        "synthetic, 00-03 UTC of each day": field_statistics(truth, hours=(0, 1, 2, 3)),
        "synthetic, all hours": field_statistics(truth),
    }
    print(
        f"synthetic world: make_world(days={args.days}, seed={args.seed}), global; real: open_sample_geoscf()"
    )
    print("| frames | median | 90th pct | 99th pct | spectral slope | hour-to-hour r |")
    print("|---|---|---|---|---|---|")
    for name, s in rows.items():
        print(
            f"| {name} | {s['p50']:.2f} | {s['p90']:.1f} | {s['p99']:.0f} | {s['spectral_slope']:.2f} "
            f"| {s['hourly_correlation']:.3f} |"
        )
    print(
        f"synthetic maximum {float(truth['pm25'].max()):.0f} ug m-3 ({truth.attrs['source_note'].split('; ')[-1]})"
    )
    frame = truth["pm25"].sel(time=truth["time"].values[24]).values  # 00 UTC of the second day
    stamp = str(truth["time"].values[24])[:16]
    picture(
        frame,
        real["pm25"].isel(time=0).values,
        (f"synthetic truth {stamp} UTC (seed {args.seed})", "real GEOS-CF frame 01 (grey: held back)"),
        Path(args.image),
    )
    print(f"wrote {args.image}")


if __name__ == "__main__":
    main()
