"""The actor page in a real headless Chromium against a real server."""
import pytest

from browser import browser, running_server, serious_violations


@pytest.fixture(scope="module")
def base_url(tiny_model_dir):
    with running_server(tiny_model_dir) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


def test_a_jugendhilfeplanerin_fills_the_form_and_gets_explained_cards(base_url, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_label("Berufsbezeichnung").fill("Jugendhilfeplanerin im Kreisjugendamt")
    page.get_by_label("Was brauchen Sie?").fill("Wie kriege ich Jugendliche in die Planung rein?")
    page.get_by_label("Bundesland").select_option("NW")
    page.get_by_role("button", name="Angebote finden").click()
    page.wait_for_selector(".card")
    assert "Wir haben Sie als Planungskraft in der Verwaltung eingeordnet" in page.inner_text(".reading")
    first = page.locator(".card").first
    assert "Beteiligung von Jugendlichen in der Jugendhilfeplanung verankern" in first.inner_text()
    assert "richtet sich ausdrücklich an Planungskräfte in der Verwaltung" in first.inner_text()
    for label in ("Angebotsart", "Format", "Region", "Kosten", "Frist"):
        assert label in first.inner_text()
    page.screenshot(path=tmp_path / "actor-1280.png", full_page=True)
    assert (tmp_path / "actor-1280.png").stat().st_size > 10_000

    shared = page.url
    assert "bedarf=" in shared and "land=NW" in shared
    other = chromium.new_page(viewport={"width": 390, "height": 844})
    other.goto(shared)
    assert other.locator(".card h3").all_inner_texts() == page.locator(".card h3").all_inner_texts()
    other.screenshot(path=tmp_path / "actor-390.png", full_page=True)
    width = other.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone


def test_the_role_can_be_corrected(base_url, chromium):
    page = chromium.new_page()
    page.goto(base_url + "/?titel=Pilot&bedarf=Kinder+sollen+mitreden&land=BY")
    assert "nicht sicher erkennen" in page.inner_text(".reading")
    page.get_by_label("Nicht richtig? Rolle korrigieren:").select_option("politik")
    page.get_by_role("button", name="Neu suchen").click()
    page.wait_for_selector(".card")
    assert "Kommunalpolitikerin oder Kommunalpolitiker" in page.inner_text(".reading")
    assert "Kinderbeteiligung in bayerischen Gemeinden" in page.locator(".card h3").first.inner_text()


def test_a_mayor_is_read_as_leitung_and_kommunalpolitik_and_may_correct_it(base_url, chromium):
    page = chromium.new_page()
    page.goto(base_url + "/?titel=hauptamtliche+B%C3%BCrgermeisterin&bedarf=Kinder+sollen+mitreden&land=BY")
    assert "Wir haben Sie als Leitung und Kommunalpolitik eingeordnet" in " ".join(page.inner_text(".reading").split())
    page.get_by_label("Nicht richtig? Rolle korrigieren:").select_option("politik")
    page.get_by_role("button", name="Neu suchen").click()
    page.wait_for_selector(".card")
    assert "Wir haben Sie als Kommunalpolitikerin oder Kommunalpolitiker eingeordnet" in page.inner_text(".reading")


def test_the_page_works_by_keyboard_alone(base_url, chromium):
    page = chromium.new_page()
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    page.get_by_label("Was brauchen Sie?").focus()
    page.keyboard.type("Suchtprävention")
    page.get_by_role("button", name="Angebote finden").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".card")


def test_a_verdict_by_keyboard_thanks_on_the_same_card_and_keeps_the_list(base_url, chromium):
    page = chromium.new_page()
    page.goto(base_url + "/?titel=Jugendhilfeplanerin&bedarf=Jugendbeteiligung+planen&land=NW")
    titles = page.locator(".card h3").all_inner_texts()
    second = page.locator(".card").nth(1)
    button = second.get_by_role("button", name=f"passt – {titles[1]}", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".noted")
    assert page.url.endswith("#angebot-2")
    assert page.locator(".card h3").all_inner_texts() == titles  # the same list, in the same order
    assert page.locator(".card").nth(1).locator(".noted").inner_text() == "Danke, vermerkt."
    assert page.locator(".noted").count() == 1
    assert page.locator(".card").first.get_by_role("button", name=f"passt nicht – {titles[0]}").is_visible()
    assert serious_violations(page) == []


def test_the_team_page_has_verdict_buttons_that_work_without_script(base_url, chromium):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/team?personen=2&land=NW&titel1=Jugendhilfeplanerin&bedarf1=Beteiligung+planen"
              "&titel2=Ratsmitglied&bedarf2=Jugendbeteiligung+beschlie%C3%9Fen&aktion=suchen")
    page.locator(".card").first.get_by_role("button", name="passt nicht", exact=False).first.click()
    page.wait_for_selector(".noted")
    assert page.url.endswith("#angebot-1")
    checked = chromium.new_page()  # axe itself needs script: the same page, as rendered with it
    checked.goto(page.url)
    assert checked.locator(".noted").count() == 1
    assert serious_violations(checked) == []
    context.close()


def test_input_errors_are_shown_in_german_next_to_the_form(base_url, chromium):
    page = chromium.new_page()
    page.goto(base_url + "/?titel=Ratsmitglied&bedarf=&land=XX")
    text = page.inner_text(".error-summary")
    assert "Bitte prüfen Sie Ihre Eingaben" in text and "Bundesland" in text


@pytest.mark.parametrize("query", ["", "?titel=Jugendhilfeplanerin&bedarf=Jugendbeteiligung+planen&land=NW",
                                   "?titel=Ratsmitglied&bedarf=&land=XX"], ids=["empty", "results", "errors"])
def test_no_serious_accessibility_violations(base_url, chromium, query):
    page = chromium.new_page()
    page.goto(base_url + "/" + query)
    assert serious_violations(page) == []


def test_a_team_adds_members_one_by_one_and_sees_who_each_offer_serves(base_url, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "/team?personen=2")
    page.get_by_label("Berufsbezeichnung").nth(0).fill("Jugendhilfeplanerin")
    page.get_by_label("Bedarf").nth(0).fill("Jugendliche an der Planung beteiligen")
    page.get_by_label("Berufsbezeichnung").nth(1).fill("Ratsmitglied")
    page.get_by_label("Bedarf").nth(1).fill("Wie können Jugendliche mitreden?")
    page.get_by_role("button", name="Weitere Person hinzufügen").click()
    page.wait_for_selector("#titel3")
    assert page.input_value("#titel1") == "Jugendhilfeplanerin"  # nothing typed is lost
    page.fill("#titel3", "Streetworker")
    page.fill("#bedarf3", "Methoden der Jugendbeteiligung")
    page.get_by_role("button", name="Angebote für das Team finden").click()
    page.wait_for_selector(".card")
    first = page.locator(".card").first.inner_text()
    assert "Kommunale Teams: gemeinsam Beteiligung gestalten" in first
    assert "für alle Rollen im Team geöffnet" in first and "Passt für" in first
    assert "Person 1 (Planung)" in page.inner_text(".reading")
    for card in page.locator(".card").all_inner_texts():  # "open to all" is only said where it is true
        assert not ("für alle zugänglich" in card and "nicht geöffnet für" in card), card
    page.screenshot(path=tmp_path / "team-1280.png", full_page=True)
    assert serious_violations(page) == []


def test_the_team_page_asks_for_at_least_two_people(base_url, chromium):
    page = chromium.new_page()
    page.goto(base_url + "/team?personen=2&titel1=Ratsmitglied&bedarf1=Beteiligung&aktion=suchen")
    assert "mindestens 2 Personen" in page.inner_text(".error-summary")
    assert serious_violations(page) == []


def test_providers_see_the_heatmap_and_their_gaps(tiny_model_dir, chromium, tmp_path):
    import json as _json
    survey = tmp_path / "survey.jsonl"
    people = [{"role": "planung", "fields": ["beteiligung"], "needs": "Beteiligung planen"}] * 8 + \
             [{"role": "fachkraft", "fields": ["beteiligung"], "needs": "Methoden"}] * 2
    survey.write_text("".join(_json.dumps(p) + "\n" for p in people), encoding="utf-8")
    with running_server(tiny_model_dir, {"KOMMUNE_MATCHER_DEMAND_PROFILES": str(survey)}) as url:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/anbieter")
        assert "Beteiligung: Planung" in page.inner_text("body")
        assert page.locator("table.heatmap tbody tr").count() == 10
        page.get_by_label("Handlungsfeld").select_option("beteiligung")
        page.fill("#anbieter", "Akademie für Jugendarbeit Franken")
        page.get_by_role("button", name="Anzeigen").click()
        page.wait_for_selector("#portfolio")
        assert page.locator("table.heatmap tbody tr").count() == 1
        assert "eine Lücke, die Sie schließen könnten" in page.inner_text("body")
        page.screenshot(path=tmp_path / "anbieter-1280.png", full_page=True)
        assert serious_violations(page) == []
