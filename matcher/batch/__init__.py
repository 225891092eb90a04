"""The jobs on files: train a model from a catalog; score profile and team files, locally in chunks or on Apache
Spark (both write the same bytes)."""
from ._local import group_file, score_file, train
from ._spark import score_dataframe, score_file_spark

__all__ = [
    "group_file", "score_dataframe", "score_file", "score_file_spark", "train",
]
