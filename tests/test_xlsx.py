"""Excel catalogs, profile and team files as providers and Landesstellen keep them: written by openpyxl and by
LibreOffice, read by the CLI as a subprocess; outputs and the template round-tripped on disk."""
import json
import shutil
import subprocess
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from matcher.core import MatcherInputError, label
from matcher.io import read_catalog, read_profiles, read_teams

from conftest import TINY_CATALOG, TINY_OFFERS, run_cli

GERMAN = ["Nr.", "Titel", "Beschreibung", "Anbieter", "Zielgruppen", "Handlungsfelder", "Angebotsart", "Format",
          "Bundesland", "Kosten", "Sprache", "Link", "gültig bis"]
SEPARATORS = ("\n", "; ", " | ")


def german_row(offer: dict, n: int) -> list:
    """One offer as a person types it into Excel: labels instead of codes, lists in one cell, dates as dates."""
    until = offer.get("valid_until")
    return [offer["id"], offer["title"], offer["description"], offer["provider"],
            SEPARATORS[n % 3].join(label("roles", r) for r in offer["target_roles"]),
            SEPARATORS[(n + 1) % 3].join(label("fields", f) for f in offer["fields"]),
            label("offer_types", offer["offer_type"]), label("formats", offer["format"]),
            label("states", offer["region"]), label("costs", offer["cost"]), offer.get("language", "de"),
            offer.get("url"),
            None if not until else (date.fromisoformat(until) if n % 2 else date.fromisoformat(until).strftime("%d.%m.%Y"))]


def tiny_offers() -> list[dict]:
    return [json.loads(line) for line in TINY_CATALOG.read_text(encoding="utf-8").splitlines() if line.strip()]


def landesstelle_workbook(path, offers=None):
    """A hidden notes sheet first, then the catalog below two title rows and a blank one, the provider of the
    first two offers in one merged cell when they share it, and formatted empty rows at the end."""
    wb = Workbook()
    notes = wb.active
    notes.title, notes.sheet_state = "Notizen", "hidden"
    notes.append(["nur intern"])
    ws = wb.create_sheet("Katalog 2027")
    ws.append(["Angebote der Landesstelle, Stand Dezember 2026"])
    ws.merge_cells("A1:F1")
    ws.append(["Bitte nur Zeilen unterhalb der Überschriften ändern"])
    ws.append([])
    ws.append(GERMAN)
    offers = offers or tiny_offers()
    for n, offer in enumerate(offers):
        ws.append(german_row(offer, n))
    if offers[0]["provider"] == offers[1]["provider"]:
        ws["D6"] = None
        ws.merge_cells("D5:D6")
    for row in range(ws.max_row + 1, ws.max_row + 30):
        ws.cell(row=row, column=2).number_format = "@"  # empty but formatted: Excel keeps such rows
    wb.save(path)
    return path


def libreoffice_copy(path, out_dir):
    """The workbook opened and saved again by LibreOffice Calc (headless), as a person's office suite writes it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (the README's test command installs libreoffice-calc-nogui)")
    out_dir.mkdir(exist_ok=True)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{out_dir}/profile", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out_dir), str(path)],
                   check=True, capture_output=True, timeout=180)
    return out_dir / path.name


def test_an_excel_catalog_with_german_headers_and_labels_reads_as_the_jsonl_catalog(tmp_path):
    expected, problems = read_catalog(TINY_CATALOG)
    assert not problems
    path = landesstelle_workbook(tmp_path / "katalog.xlsx")
    offers, problems = read_catalog(path)
    assert problems == [] and offers == expected


def test_libreoffice_saved_catalog_and_its_formulas_read_the_same(tmp_path):
    path = landesstelle_workbook(tmp_path / "katalog.xlsx")
    wb = load_workbook(path)
    ws = wb["Katalog 2027"]
    ws["B5"] = '="Beteiligung von Jugendlichen"&" in der Jugendhilfeplanung verankern"'  # the same title, computed
    wb.save(path)
    # as openpyxl wrote it, the formula has no stored result: reported, not read as an empty title
    offers, problems = read_catalog(path)
    assert len(offers) == TINY_OFFERS - 1
    assert [(p.sheet, p.loc, p.type) for p in problems] == [("Katalog 2027", (5, "Titel"), "formula_without_value")]
    # LibreOffice computes and stores it: the catalog reads as the JSONL one
    offers, problems = read_catalog(libreoffice_copy(path, tmp_path / "lo"))
    assert problems == [] and offers == read_catalog(TINY_CATALOG)[0]


def test_libreoffice_converted_csv_is_read(tmp_path):
    csv_path = tmp_path / "angebote.csv"
    rows = [";".join(GERMAN)] + [";".join("" if v is None else str(v).replace("\n", " | ").replace("; ", " | ")
                                          for v in german_row(o, 0)[:-1]) + ";"
                                 for o in tiny_offers()]
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--infilter=CSV:59,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path / "x"),
                    str(csv_path)], check=True, capture_output=True, timeout=180)
    offers, problems = read_catalog(tmp_path / "x" / "angebote.xlsx")
    assert problems == [] and [o.id for o in offers] == [o["id"] for o in tiny_offers()]
    assert all(o.valid_until is None for o in offers)


def broken_workbook(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Angebote"
    ws.append(["Angebotskatalog"])
    ws.append(GERMAN)
    good = german_row(tiny_offers()[0], 1)
    ws.append(good)
    bad = list(good)
    bad[0], bad[5], bad[8], bad[9], bad[12] = "t01", "Pravention | Klima", "NRW", "kostenlos", "31.02.2027"
    ws.append(bad)  # row 4: duplicate id, a misspelt field, a date that does not exist; NRW and kostenlos are fine
    worse = list(good)
    worse[0], worse[3], worse[7], worse[11] = "t99", None, "Webinar", "www.example.de"
    ws.append(worse)  # row 5: no provider, an unknown format, a link without https://
    wb.save(path)
    return path


def test_a_broken_workbook_is_reported_with_sheet_row_column_and_suggestions(tmp_path):
    path = broken_workbook(tmp_path / "angebote.xlsx")
    proc = run_cli("validate", path, check_rc=1)
    assert proc.stdout.splitlines() == [
        f"{path}: 1 valid records, 5 problems:",
        "  sheet 'Angebote', row 4, column 'Handlungsfelder' [0]: unknown field code 'Pravention'; did you mean "
        "'Prävention'? expected one of: praevention, beteiligung, bildung, gesundheit, integration, "
        "kinder_jugend, demokratie, sozialraum, digitalisierung, klima",
        "  sheet 'Angebote', row 4, column 'gültig bis': valid_until must be a date like 2027-06-30 (in a table also "
        "30.06.2027), got '31.02.2027'",
        "  sheet 'Angebote', row 5, column 'Anbieter': provider is missing",
        "  sheet 'Angebote', row 5, column 'Format': unknown format code 'Webinar'; expected one of: praesenz, "
        "online, hybrid",
        "  sheet 'Angebote', row 5, column 'Link': url must start with http:// or https://, got 'www.example.de'",
    ]
    as_json = json.loads(run_cli("validate", path, "--format", "json", check_rc=1).stdout)
    assert {(tuple(p["loc"][:2]), p["sheet"]) for p in as_json["problems"]} >= {
        ((4, "Handlungsfelder"), "Angebote"), ((5, "Anbieter"), "Angebote")}


def test_a_duplicate_id_names_both_rows(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(GERMAN)
    first = german_row(tiny_offers()[0], 1)
    ws.append(first)
    ws.append(first)
    wb.save(tmp_path / "d.xlsx")
    _, problems = read_catalog(tmp_path / "d.xlsx")
    assert [str(p) for p in problems] == ["sheet 'Sheet', row 3, column 'Nr.': duplicate id 't01': first on row 2, "
                                          "again on row 3"]


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("id;title\n1;x\n", encoding="utf-8"), "is not an Excel workbook (.xlsx)"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), "old Excel file (.xls)"),
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: Workbook().save(p), "is empty"),
])
def test_files_that_are_no_readable_workbook_get_one_clear_sentence(tmp_path, make, message):
    path = tmp_path / "angebote.xlsx"
    make(path)
    proc = run_cli("validate", path, check_rc=1)
    assert message in proc.stdout and "Traceback" not in proc.stderr


def test_a_sheet_is_chosen_by_name_and_a_wrong_name_gets_a_suggestion(tmp_path):
    path = landesstelle_workbook(tmp_path / "katalog.xlsx")
    assert read_catalog(path, sheet="Katalog 2027")[0] == read_catalog(path)[0]
    with pytest.raises(MatcherInputError, match="has no sheet 'Katalog 2026'; did you mean 'Katalog 2027'"):
        read_catalog(path, sheet="Katalog 2026")
    proc = run_cli("validate", path, "--sheet", "Notizen", check_rc=1)  # a hidden sheet, when named, is read
    assert "sheet 'Notizen' of" in proc.stdout and "has no header row in its first 50 rows" in proc.stdout
    with pytest.raises(MatcherInputError, match="not an Excel workbook"):
        read_catalog(TINY_CATALOG, sheet="Katalog")


def test_headers_that_are_almost_right_are_named(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append([h if h != "Anbieter" else "Anbeiter" for h in GERMAN])
    ws.append(german_row(tiny_offers()[0], 0))
    wb.save(tmp_path / "a.xlsx")
    proc = run_cli("validate", tmp_path / "a.xlsx", check_rc=1)
    assert "sheet 'Sheet' lacks the columns provider ('Anbieter') - did you mean the column 'Anbeiter'?" in proc.stdout


def test_train_score_group_and_coverage_read_and_write_excel(tmp_path):
    catalog = landesstelle_workbook(tmp_path / "katalog.xlsx")
    model = tmp_path / "model"
    run_cli("train", "--catalog", catalog, "--model", model, "--sheet", "Katalog 2027", check_rc=0)

    wb = Workbook()
    ws = wb.active
    ws.title = "Befragung"
    ws.append(["Nr.", "Funktion", "Rolle", "Handlungsfelder", "Bedarf", "Bundesland", "Formatwunsch"])
    ws.append([1, "Jugendhilfeplanerin", None, "Beteiligung", "Jugendliche an der Planung beteiligen",
               "Nordrhein-Westfalen", "online"])
    ws.append(["007", "Bürgermeister", "Kommunalpolitik", "Beteiligung\nDemokratie", "Bürgerrat einberufen",
               "Bayern", None])
    ws["A3"].value, ws["A3"].data_type = "=HYPERLINK(\"x\")", "s"  # text that looks like a formula
    ws.append([3, "Streetworker", None, "Präventio", "Gewaltprävention im Quartier", None, None])
    wb.save(tmp_path / "befragung.xlsx")
    good = [p for _, p, problems in read_profiles(tmp_path / "befragung.xlsx") if not problems]
    assert [(p.id, p.role, p.fields, p.region) for p in good] == [
        ("1", None, ("beteiligung",), "NW"), ('=HYPERLINK("x")', "politik", ("beteiligung", "demokratie"), "BY")]

    proc = run_cli("score", tmp_path / "befragung.xlsx", "--model", model, "--out", tmp_path / "out.xlsx",
                   "--top-k", 3, check_rc=1)
    assert "sheet 'Befragung', row 4, column 'Handlungsfelder' [0]: unknown field code 'Präventio'" in proc.stderr
    out = load_workbook(tmp_path / "out.xlsx", read_only=True)
    rows = list(out["Ergebnisse"].iter_rows(values_only=True))
    assert rows[0] == ("profile_id", "rank", "offer_id", "score", "reasons", "title", "role", "role_confidence",
                       "fields")
    assert len(rows) == 1 + 2 * 3 and [r[1] for r in rows[1:4]] == [1, 2, 3]  # ranks as numbers
    assert {r[0] for r in rows[1:]} == {"1", '=HYPERLINK("x")'}  # ids stay text, also when they look like formulas
    assert out["Ergebnisse"]["A5"].data_type == "s"
    assert isinstance(rows[1][3], float)
    # the same rows as the CSV output
    run_cli("score", tmp_path / "befragung.xlsx", "--model", model, "--out", tmp_path / "out.csv", "--top-k", 3)
    csv_rows = [line.split(";") for line in (tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()]
    assert [r[2] for r in rows[1:]] == [r[2] for r in csv_rows[1:]]

    teams = Workbook()
    ws = teams.active
    ws.append(["Kommune", "Funktion", "Bedarf"])
    ws.append(["Musterstadt", "Jugendhilfeplanerin", "Jugendbeteiligung planen"])
    ws.append(["Beispieldorf", "Bürgermeister", "Jugendforum gründen"])
    ws.append(["Musterstadt", "Streetworker", "Jugendliche erreichen"])
    ws.append(["Beispieldorf", "Kämmerer", "Fördermittel für das Jugendforum"])
    teams.save(tmp_path / "teams.xlsx")
    run_cli("group", tmp_path / "teams.xlsx", "--model", model, "--out", tmp_path / "teams.jsonl", "--top-k", 2,
            check_rc=0)
    results = [json.loads(line) for line in (tmp_path / "teams.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["group_id"] for r in results] == ["Musterstadt", "Beispieldorf"]

    run_cli("coverage", "--model", model, "--profiles", tmp_path / "befragung.xlsx", "--out", tmp_path / "c.xlsx")
    sheet = load_workbook(tmp_path / "c.xlsx")["Abdeckung"]
    assert sheet["A1"].value == "field" and sheet.freeze_panes == "A2" and sheet.max_row == 1 + 10 * 7


def test_a_team_table_reports_each_member_on_its_own_row(tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text("Team;Rolle;Bedarf\nA;planung;x\nA;;y\nB;leitung;z\n;politik;w\nA;Planug;v\n", encoding="utf-8")
    results = list(read_teams(path))
    assert [(line, [str(p) for p in problems]) for line, _, problems in results if problems] == [
        (5, ["line 5: Team: team is missing: name the member's team"]),
        (2, ["line 6: Rolle: unknown role code 'Planug'; did you mean 'Planung'? expected one of: "
             "fachkraft, verwaltung, planung, leitung, politik, koordination, zivilgesellschaft"]),
        (4, ["line 4: Team: team 'B': a team has 2 to 12 members, got 1"]),
    ]


def test_the_template_has_dropdowns_reads_back_and_is_linked_from_the_provider_page(tmp_path, tiny_model):
    path = tmp_path / "angebote.xlsx"
    run_cli("template", "--out", path, check_rc=0)
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Angebote" and wb["Listen"].sheet_state == "hidden"
    ws = wb["Angebote"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["ID", "Titel", "Beschreibung", "Anbieter"]
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    region_col = "ABCDEFGHIJKLM"[headers.index("Bundesland")]
    assert lists[region_col] == f"Listen!${region_col}$2:${region_col}$18"  # bundesweit and the 16 states
    assert [wb["Listen"][f"{region_col}{r}"].value for r in (2, 12)] == ["bundesweit", "Nordrhein-Westfalen"]
    # a person fills it in with the dropdown labels: it validates
    for n, offer in enumerate(tiny_offers()):
        row = german_row(offer, n)
        for col, header in enumerate(headers, start=1):
            ws.cell(row=n + 2, column=col, value=row[GERMAN.index(header) if header in GERMAN else 11]
                    if header != "ID" else offer["id"])
    wb.save(path)
    assert read_catalog(path) == read_catalog(TINY_CATALOG)
    assert "--out must end in .xlsx, got" in run_cli("template", "--out", tmp_path / "x.csv", check_rc=2).stderr

    from service.main import create_app
    from service.settings import Settings
    with TestClient(create_app(model=tiny_model, settings=Settings(model_dir=None))) as client:
        page = client.get("/anbieter").text
        download = client.get("/vorlage/angebote.xlsx")
    assert 'href="/vorlage/angebote.xlsx"' in page
    assert download.status_code == 200 and download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    (tmp_path / "downloaded.xlsx").write_bytes(download.content)
    assert load_workbook(tmp_path / "downloaded.xlsx").sheetnames == ["Angebote", "Hinweise", "Listen"]


def test_excel_dates_numbers_and_formula_like_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(GERMAN)
    row = german_row(tiny_offers()[0], 1)
    row[0], row[12] = 12.0, datetime(2027, 6, 30, 0, 0)  # Excel keeps every number as a float
    ws.append(row)
    wb.save(tmp_path / "n.xlsx")
    offers, problems = read_catalog(tmp_path / "n.xlsx")
    assert not problems and offers[0].id == "12" and offers[0].valid_until == date(2027, 6, 30)
