"""The catalog and profile readers on whatever a file may hold: random bytes, random JSON, CSV in random dialects
and encodings. Never an uncaught exception (a file-level problem is a MatcherInputError), and good records
written among the bad ones are always kept."""
import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import MatcherInputError, read_catalog
from matcher.io import read_profiles

GOOD_OFFER = {"id": "gut-1", "title": "Jugendbeteiligung planen", "description": "Für Planungskräfte.",
              "provider": "Institut", "target_roles": "planung", "fields": "beteiligung",
              "offer_type": "fortbildung", "format": "online", "region": "bund", "cost": "kostenfrei"}
GOOD_PROFILE = {"id": "gut-1", "role_title": "Jugendhilfeplanerin", "needs": "Jugendliche beteiligen"}
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8)
fuzzed_offer = st.fixed_dictionaries({k: json_values | st.just(v) for k, v in GOOD_OFFER.items()})
fuzzed_profile = st.fixed_dictionaries({k: json_values | st.just(v) for k, v in GOOD_PROFILE.items()})
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])


def read_both(path):
    """Both readers on one file: (offers, problems) and the profile reader's triples, or the file-level error."""
    out = []
    for read in (read_catalog, lambda p: list(read_profiles(p))):
        try:
            out.append(read(path))
        except MatcherInputError as exc:
            assert exc.problems and all(p.msg for p in exc.problems)
            out.append(None)
    return out


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_anything_but_a_clear_input_error(tmp_path, data):
    for name in ("f.jsonl", "f.csv"):
        (tmp_path / name).write_bytes(data)
        read_both(tmp_path / name)


@FUZZ
@given(rows=st.lists(fuzzed_offer | json_values, max_size=5), at=st.integers(0, 5))
def test_random_json_lines_keep_the_good_offer(tmp_path, rows, at):
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(min(at, len(lines)), json.dumps(GOOD_OFFER, ensure_ascii=False))
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    offers, problems = read_catalog(path)
    assert "gut-1" in [o.id for o in offers] or any(p.type == "duplicate_id" for p in problems)
    assert all(p.msg and p.loc for p in problems)


@FUZZ
@given(rows=st.lists(fuzzed_profile | json_values, max_size=5))
def test_random_json_profiles_keep_the_good_one(tmp_path, rows):
    lines = [json.dumps(GOOD_PROFILE)] + [json.dumps(r, ensure_ascii=False) for r in rows]
    path = tmp_path / "profiles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = list(read_profiles(path))
    assert results[0][1] is not None and results[0][1].id == "gut-1"
    for _, profile, problems in results:
        assert (profile is None) == bool(problems) and all(p.msg for p in problems)


@FUZZ
@given(delimiter=st.sampled_from([",", ";", "\t"]), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       encoding=encodings, noise=st.lists(st.lists(st.text(max_size=15), max_size=11), max_size=4),
       line_end=st.sampled_from(["\n", "\r\n"]))
def test_csv_in_any_dialect_and_encoding_keeps_the_good_row_or_says_why(tmp_path, delimiter, quoting, encoding,
                                                                        noise, line_end):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=line_end)
    writer.writerow(GOOD_OFFER.keys())
    writer.writerow(GOOD_OFFER.values())
    for row in noise:
        writer.writerow(row)
    path = tmp_path / "catalog.csv"
    try:
        path.write_bytes(buffer.getvalue().encode(encoding))
    except UnicodeEncodeError:  # noise this encoding cannot hold: not a file anyone could write
        return
    try:
        offers, problems = read_catalog(path)
    except MatcherInputError as exc:  # e.g. UTF-16, which the readers name and refuse as a whole
        assert exc.problems[0].msg
        return
    assert "gut-1" in [o.id for o in offers]
    assert all(p.msg for p in problems)
