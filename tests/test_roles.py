import pytest

from matcher.roles import read_job_titles, train_role_classifier


@pytest.fixture(scope="module")
def classifier():
    return train_role_classifier()


@pytest.mark.parametrize("title, role", [
    ("Jugendhilfeplanerin im Kreisjugendamt", "planung"),
    ("SB Bürgerbeteiligung", "verwaltung"),
    ("Ratsmitglied", "politik"),
    ("Fachbereichsleitung Soziales", "leitung"),
    ("Quartiersmanager*in", "koordination"),
    ("Schulsozialarbeiter", "fachkraft"),
    ("Vorsitzende des Fördervereins", "zivilgesellschaft"),
])
def test_job_titles_as_people_write_them(classifier, title, role):
    guess = classifier.guess([title])[0]
    assert (guess.role, guess.best) == (role, role)
    assert guess.confidence >= classifier.threshold


@pytest.mark.parametrize("title", ["xyz qwertz", "Bäckermeister", "Pilot"])
def test_titles_outside_municipal_work_get_no_confident_role(classifier, title):
    assert classifier.guess([title])[0].role is None


def test_the_bundled_title_list_is_large_and_covers_every_role():
    titles, roles = read_job_titles()
    assert len(titles) >= 400
    assert min(roles.count(r) for r in set(roles)) >= 50 and len(set(roles)) == 7
