"""Fetching the inputs from their providers: CAMS EAC4 from the ADS (cdsapi), GEOS-CF over HTTP."""

from deepcams.download.cams import download_cams, month_requests
from deepcams.download.geoscf import download_geoscf, hourly_urls

__all__ = ["download_cams", "download_geoscf", "hourly_urls", "month_requests"]
