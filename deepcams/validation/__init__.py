"""In-situ validation, the paper's OpenAQ check: station files in, N, R, RMSE and bias per product out."""

from deepcams.validation.insitu import match_stations, validate
from deepcams.validation.stations import read_openaq

__all__ = ["match_stations", "read_openaq", "validate"]
