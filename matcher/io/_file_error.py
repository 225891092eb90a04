"""The one error of a file as a whole (missing, empty, not a workbook, a bad header): one sentence, no line."""
from ..core import MatcherInputError, Problem


def file_error(msg: str, type_: str) -> MatcherInputError:
    return MatcherInputError([Problem((), msg, type_)])
