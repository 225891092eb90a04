import json

import pytest

from matcher import MatcherInputError, read_catalog

GOOD = {"id": "a1", "title": "Jugendbeteiligung planen", "description": "Für Planungskräfte.",
        "provider": "Institut", "target_roles": ["planung"], "fields": ["beteiligung"], "offer_type": "fortbildung",
        "format": "online", "region": "bund", "cost": "kostenfrei", "language": "de",
        "url": "https://example.de/a1", "valid_until": "2027-01-31"}


def write_jsonl(tmp_path, records, name="catalog.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, loc, type_", [
    ({"title": ""}, (2, "title"), "empty"),
    ({"title": None}, (2, "title"), "missing"),
    ({"fields": ["praevenzion"]}, (2, "fields", 0), "unknown_code"),
    ({"fields": []}, (2, "fields"), "empty"),
    ({"target_roles": ["planng"]}, (2, "target_roles", 0), "unknown_code"),
    ({"region": "NRW"}, (2, "region"), "unknown_code"),
    ({"offer_type": "seminar"}, (2, "offer_type"), "unknown_code"),
    ({"format": "vor Ort"}, (2, "format"), "unknown_code"),
    ({"cost": "gratis"}, (2, "cost"), "unknown_code"),
    ({"valid_until": "31.12.2027"}, (2, "valid_until"), "invalid_date"),
    ({"url": "www.example.de"}, (2, "url"), "invalid_url"),
    ({"title": "x" * 20000}, (2, "title"), "too_long"),
    ({"fields": "beteiligung|nix"}, (2, "fields", 1), "unknown_code"),
    ({"title": 42}, (2, "title"), "wrong_type"),
    ({"fields": {"a": 1}}, (2, "fields"), "wrong_type"),
], ids=["empty-title", "missing-title", "misspelt-field", "no-field", "misspelt-role", "NRW", "unknown-type",
        "unknown-format", "unknown-cost", "german-date", "url-without-scheme", "huge-title", "pipe-list",
        "number-title", "dict-fields"])
def test_catalog_keeps_good_rows_when_one_row_is_bad(tmp_path, change, loc, type_):
    bad = {**GOOD, "id": "a2", **change}
    offers, problems = read_catalog(write_jsonl(tmp_path, [GOOD, bad, {**GOOD, "id": "a3"}]))
    assert [o.id for o in offers] == ["a1", "a3"]
    assert [(p.loc, p.type) for p in problems] == [(loc, type_)]


def test_near_miss_codes_get_a_suggestion(tmp_path):
    bad = {**GOOD, "fields": ["praevenzion"], "region": "NRW"}
    _, problems = read_catalog(write_jsonl(tmp_path, [bad]))
    messages = [p.msg for p in problems]
    assert "did you mean 'praevention'?" in messages[0]
    assert "did you mean 'NW'?" in messages[1]


def test_duplicate_ids_name_both_lines(tmp_path):
    offers, problems = read_catalog(write_jsonl(tmp_path, [GOOD, {**GOOD, "title": "anders"}]))
    assert len(offers) == 1 and offers[0].title == GOOD["title"]
    assert problems[0].loc == (2, "id") and problems[0].type == "duplicate_id"
    assert problems[0].msg == "duplicate id 'a1': first on line 1, again on line 2"


def test_invalid_json_lines_are_reported_with_their_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{kaputt\n\n[1, 2]\n", encoding="utf-8")
    offers, problems = read_catalog(path)
    assert len(offers) == 1
    assert [(p.loc, p.type) for p in problems] == [((2,), "invalid_json"), ((4,), "wrong_type")]


def csv_text(delimiter=","):
    header = ["id", "title", "description", "provider", "target_roles", "fields", "offer_type", "format", "region",
              "cost", "valid_until"]
    row = ["c1", "Suchtprävention für Fachkräfte", "Grundlagen, Methoden; Praxis", "Landesstelle",
           "fachkraft|koordination", "praevention|gesundheit", "fortbildung", "online", "NW", "kostenfrei", ""]
    quote = lambda v: f'"{v}"' if delimiter in v or "," in v or ";" in v else v  # noqa: E731
    return delimiter.join(header) + "\n" + delimiter.join(quote(v) for v in row) + "\n"


@pytest.mark.parametrize("delimiter, encoding", [(",", "utf-8"), (";", "utf-8-sig"), (";", "utf-8")],
                         ids=["comma", "semicolon-excel-bom", "semicolon"])
def test_csv_catalogs_as_excel_writes_them(tmp_path, delimiter, encoding):
    path = tmp_path / "catalog.csv"
    path.write_bytes(csv_text(delimiter).encode(encoding))
    offers, problems = read_catalog(path)
    assert problems == []
    assert offers[0].target_roles == ("fachkraft", "koordination")
    assert offers[0].fields == ("praevention", "gesundheit")
    assert offers[0].description == "Grundlagen, Methoden; Praxis"
    assert offers[0].title == "Suchtprävention für Fachkräfte"


def test_csv_rows_are_reported_by_their_line(tmp_path):
    path = tmp_path / "catalog.csv"
    text = csv_text(";")
    path.write_text(text + text.splitlines()[1].replace("c1", "c2").replace("NW", "XX") + "\n", encoding="utf-8")
    offers, problems = read_catalog(path)
    assert [o.id for o in offers] == ["c1"]
    assert problems[0].loc == (3, "region")


def test_csv_without_required_columns_is_one_clear_problem(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("id;Titell;Überschrift\n1;x;y\n", encoding="utf-8")
    with pytest.raises(MatcherInputError) as exc:
        read_catalog(path)
    assert exc.value.problems[0].type == "missing_columns"
    # the contract's name, the German header, and the column the file most likely meant
    assert "title ('Titel') - did you mean the column 'Titell'?" in exc.value.problems[0].msg
    assert "provider ('Anbieter')" in exc.value.problems[0].msg


@pytest.mark.parametrize("content, type_", [
    (b"", "empty_file"),
    (b"\n  \n", "empty_file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary_file"),
    ("id;title\n1;Prävention für Ältere\n".encode("cp1252"), "wrong_encoding"),
    ("id;title\n1;x\n".encode("utf-16"), "wrong_encoding"),
    (b'[{"id": "a"}]', "wrong_format"),
], ids=["empty", "blank-lines", "binary", "windows-1252", "utf-16", "json-array"])
def test_bad_files_get_one_clear_sentence(tmp_path, content, type_):
    path = tmp_path / "catalog.jsonl"
    path.write_bytes(content)
    with pytest.raises(MatcherInputError) as exc:
        read_catalog(path)
    assert [p.type for p in exc.value.problems] == [type_]
    assert "catalog.jsonl" in str(exc.value) or type_ == "wrong_format"


def test_missing_file_is_named(tmp_path):
    with pytest.raises(MatcherInputError) as exc:
        read_catalog(tmp_path / "nope.jsonl")
    assert exc.value.problems[0].type == "file_missing"
    assert "nope.jsonl" in exc.value.problems[0].msg


def test_bundled_catalog_is_clean_and_mirrors_the_analysis():
    from conftest import BUNDLED_CATALOG
    offers, problems = read_catalog(BUNDLED_CATALOG)
    assert problems == [] and len(offers) >= 300
    for field in ("praevention", "beteiligung"):
        in_field = [o for o in offers if field in o.fields]
        fachkraft = sum("fachkraft" in o.target_roles for o in in_field) / len(in_field)
        planung = sum("planung" in o.target_roles for o in in_field) / len(in_field)
        assert fachkraft > 0.5 > 0.2 > planung
