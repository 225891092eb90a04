"""Never a 500: arbitrary JSON bodies and query strings get 200, 404, 413 or 422."""
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.main import create_app
from service.settings import Settings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
profile_like = st.fixed_dictionaries({}, optional={
    "needs": st.text(max_size=60) | json_values, "role_title": st.text(max_size=40) | json_values,
    "role": st.sampled_from(["planung", "chef", "", None]) | json_values,
    "fields": st.lists(st.sampled_from(["beteiligung", "klima", "x"]), max_size=3) | json_values,
    "region": st.sampled_from(["NW", "NRW", "bund", "", None]) | json_values,
    "format_preference": st.sampled_from(["online", "vor Ort"]) | json_values})
bodies = st.fixed_dictionaries({}, optional={"profile": profile_like | json_values,
                                             "top_k": st.integers(-5, 100) | json_values}) | json_values
group_bodies = st.fixed_dictionaries({}, optional={"members": st.lists(profile_like, max_size=14) | json_values,
                                                   "top_k": st.integers(-5, 100), "id": json_values,
                                                   "aggregation": st.sampled_from(["fair", "x"]) | json_values})


@pytest.fixture(scope="module")
def client(tiny_model):
    with TestClient(create_app(model=tiny_model, settings=Settings(model_dir=None)),
                    raise_server_exceptions=False) as c:
        yield c


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_recommendations_never_fail_with_500(client, body):
    assert client.post("/recommendations", json=body).status_code in (200, 422)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=group_bodies)
def test_group_recommendations_never_fail_with_500(client, body):
    assert client.post("/recommendations/group", json=body).status_code in (200, 422)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["titel", "bedarf", "land", "feld", "format", "rolle", "personen",
                                               "titel1", "bedarf1", "titel2", "bedarf2", "aktion", "anbieter"]),
                              st.text(max_size=40), max_size=6),
       path=st.sampled_from(["/", "/team", "/anbieter", "/coverage"]))
def test_pages_never_fail_with_500(client, params, path):
    assert client.get(path, params=params).status_code in (200, 422)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40).filter(lambda s: s not in (".", "..")))
def test_unknown_ids_and_providers_are_404(client, name):
    from urllib.parse import quote
    model = client.app.state.recommender.model
    known_id = name in model.index
    known_provider = any(o.provider.casefold() == name.strip().casefold() for o in model.offers)
    assert client.get(f"/offers/{quote(name, safe='')}").status_code == (200 if known_id else 404)
    assert client.get(f"/providers/{quote(name, safe='')}/portfolio").status_code == (200 if known_provider else 404)


@pytest.mark.parametrize("known", ["t01", "Akademie für Jugendarbeit Franken"])
def test_known_ids_and_providers_are_200(client, known):
    from urllib.parse import quote
    model = client.app.state.recommender.model
    path = f"/offers/{known}" if known in model.index else f"/providers/{quote(known, safe='')}/portfolio"
    assert client.get(path).status_code == 200
