"""In-situ validation: station files in (OpenAQ, EEA, any CSV), the field's statistics per product out."""

from deepcams.validation.insitu import WINDOWS, ValidationResult, match_stations, validate
from deepcams.validation.stations import (
    SAMPLE_ATTRIBUTION,
    describe_quality,
    open_sample_stations,
    parse_columns,
    read_openaq,
    read_stations,
)
from deepcams.validation.statistics import FAIRMODE_PM25, STATISTICS, Uncertainty, paired_statistics
from deepcams.validation.target import plot_target, target_points

__all__ = [
    "FAIRMODE_PM25",
    "SAMPLE_ATTRIBUTION",
    "STATISTICS",
    "WINDOWS",
    "Uncertainty",
    "ValidationResult",
    "describe_quality",
    "match_stations",
    "open_sample_stations",
    "paired_statistics",
    "parse_columns",
    "plot_target",
    "read_openaq",
    "read_stations",
    "target_points",
    "validate",
]
