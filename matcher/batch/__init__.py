"""Batch scoring of profile and team files: locally in chunks, or on Apache Spark; both write the same bytes."""
from ._local import group_file, score_file
from ._spark import score_dataframe, score_file_spark

__all__ = [
    "group_file", "score_dataframe", "score_file", "score_file_spark",
]
