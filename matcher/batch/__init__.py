"""Batch scoring of profile and team files: locally in chunks, or on Apache Spark; both write the same bytes."""
from ._local import CSV_COLUMNS, GROUP_CSV_COLUMNS, group_file, score_chunk, score_file
from ._spark import score_dataframe, score_file_spark

__all__ = ["CSV_COLUMNS", "GROUP_CSV_COLUMNS", "group_file", "score_chunk", "score_dataframe", "score_file",
           "score_file_spark"]
