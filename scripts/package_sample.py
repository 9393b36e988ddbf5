"""Convert the DeepCAMS authors' real .mat frames into the package's compressed canonical NetCDF sample.

Usage: python scripts/package_sample.py ../shared/data/deepcams-sample
"""

import sys
from pathlib import Path

import numpy as np

from deepcams.io import open_mat, to_netcdf
from deepcams.sources.sample import ATTRIBUTION, SAMPLE_CAMS, SAMPLE_GEOSCF, sample_file

# The GEOS-CF frames' absolute date is not given by their authors (folder name suggests 8 March);
# the package uses a nominal date so that the frames have a time axis.
NOMINAL_GEOSCF_TIMES = np.array(
    ["2019-03-08T00", "2019-03-08T01", "2019-03-08T02", "2019-03-08T03"], "M8[ns]"
)


def main(root: Path) -> None:
    cams = open_mat(sorted((root / "cams").glob("*.mat")), year=2019)
    cams.attrs.update(attribution=ATTRIBUTION, licence="Copernicus licence (free use with attribution)")
    to_netcdf(cams, str(sample_file(SAMPLE_CAMS)))
    geoscf = open_mat(sorted((root / "geoscf").glob("*.mat")), times=NOMINAL_GEOSCF_TIMES)
    geoscf.attrs.update(
        attribution=ATTRIBUTION,
        licence="NASA GMAO GEOS-CF data are public",
        time_note="absolute date unknown: frames 01..04 are consecutive hours; the date here is nominal",
        held_back="longitudes [-120,-60), [0,60) and [120,180) are NaN: held back for an independent check",
    )
    to_netcdf(geoscf, str(sample_file(SAMPLE_GEOSCF)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
