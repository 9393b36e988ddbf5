"""Named regions offered by the dashboard, as W,S,E,N boxes (W > E crosses the antimeridian)."""

from deepcams.dashboard.insample import held_out_box
from deepcams.grids import BBox
from deepcams.sources.catalog import HELD_OUT

PRESETS: dict[str, BBox] = {
    HELD_OUT: held_out_box(),  # where the shipped weights were validated, never trained
    "Global": BBox(-180.0, -90.0, 180.0, 90.0),
    "East Asia": BBox(100.0, 20.0, 145.0, 50.0),
    "South Asia": BBox(60.0, 5.0, 100.0, 35.0),
    "Europe": BBox(-12.0, 35.0, 40.0, 70.0),
    "North America": BBox(-130.0, 20.0, -60.0, 55.0),
    "South America": BBox(-82.0, -56.0, -34.0, 13.0),
    "Africa": BBox(-20.0, -35.0, 52.0, 38.0),
    "SE Australia": BBox(135.0, -45.0, 155.0, -25.0),
    "Pacific (across 180)": BBox(150.0, -30.0, -150.0, 30.0),
}
CUSTOM = "Custom"
