"""Fetching the inputs from their providers: CAMS EAC4 from the ADS (cdsapi), GEOS-CF over HTTP, station
PM2.5 from the OpenAQ v3 API."""

from deepcams.download.cams import download_cams, month_requests
from deepcams.download.geoscf import download_geoscf, hourly_urls
from deepcams.download.openaq import download_openaq

__all__ = ["download_cams", "download_geoscf", "download_openaq", "hourly_urls", "month_requests"]
