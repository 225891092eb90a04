import inspect

import matcher


def test_all_lists_exactly_the_public_names_sorted():
    public = sorted(n for n, v in vars(matcher).items() if not n.startswith("_") and not inspect.ismodule(v))
    assert matcher.__all__ == public
