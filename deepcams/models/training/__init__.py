"""Training both stages from GEOS-CF-like hourly 0.25 deg data, in the paper's simulation protocol.

Training and validation are split by longitude band, never by random pixels: with the real sample, two
visible bands train and the third validates. The split and the shipped settings are `deepcams.recipes`
(re-exported here). One module per job: `data` (aligned coarse/fine fields), `sampling` (batches),
`loss`, `validation` (each epoch's scores), `resume` and `log` (each epoch's checkpoint and CSV row),
`loop` (`train`), `runs` (a recipe from its data to exported weights) and `evaluation` (trained weights
on the held-out band, through the pipeline).
"""

from deepcams.models.training.data import Field, band_fields, mix_by_share, sequence_fields, split_fields
from deepcams.models.training.loop import TrainConfig, train
from deepcams.models.training.runs import train_config, train_recipe
from deepcams.models.training.sampling import sample_spatial, sample_temporal
from deepcams.recipes import (
    DEFAULTS,
    FOLDS,
    SHIPPED,
    SHIPPED_SPLIT,
    TRAIN_BANDS,
    VAL_BAND,
    Optimisation,
    Recipe,
    Split,
    fold_split,
)

__all__ = [
    "DEFAULTS",
    "FOLDS",
    "SHIPPED",
    "SHIPPED_SPLIT",
    "TRAIN_BANDS",
    "VAL_BAND",
    "Field",
    "Optimisation",
    "Recipe",
    "Split",
    "TrainConfig",
    "band_fields",
    "fold_split",
    "mix_by_share",
    "sample_spatial",
    "sample_temporal",
    "sequence_fields",
    "split_fields",
    "train",
    "train_config",
    "train_recipe",
]
