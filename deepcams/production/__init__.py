"""Multi-year production: a resumable, day-by-day run on dask.distributed into one CF Zarr archive.

`produce` plans and runs the days, `verify_archive` checks a finished archive. The parts: `inputs` (which
frames the files hold and each day needs), `archive` (the store layout and completion records), `tasks`
(one day on a worker), `runner` (the run loop), `verify`.
"""

from deepcams.production.runner import ProductionReport, produce
from deepcams.production.verify import VerifyReport, verify_archive

__all__ = ["ProductionReport", "VerifyReport", "produce", "verify_archive"]
