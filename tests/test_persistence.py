import json
import logging
from dataclasses import fields as dataclass_fields

import numpy as np
import pytest

from matcher import ModelLoadError, fit_model, load, parse_profile, read_catalog, recommend, save
from matcher.model import ARTIFACT, CARD, FORMAT_VERSION, MatchModel
from matcher.model._model import KEPT_VIEWS

from conftest import TINY_CATALOG, TINY_OFFERS


def test_a_saved_model_loads_and_recommends_the_same(tmp_path, tiny_model):
    target = save(tiny_model, tmp_path / "m", catalog_sha256="abc")
    loaded = load(target)
    profile = parse_profile({"needs": "Beteiligung von Jugendlichen", "role_title": "Jugendhilfeplaner"})
    a, b = recommend(tiny_model, profile, 5), recommend(loaded, profile, 5)
    assert [r.offer_id for r in a.recommendations] == [r.offer_id for r in b.recommendations]


def test_a_loaded_model_brings_its_offers_and_request_views_as_fitted(tmp_path, tiny_model):
    loaded = load(save(tiny_model, tmp_path / "m"))
    assert loaded.offers == tiny_model.offers and all(type(o) is type(tiny_model.offers[0]) for o in loaded.offers)
    assert loaded.offers[0].valid_until == tiny_model.offers[0].valid_until
    for name in KEPT_VIEWS:
        kept = loaded.__dict__[name]  # unpickled, not built again from the offers
        if name == "word_columns":
            assert (kept != tiny_model.word_columns).nnz == 0
        else:
            assert type(kept) is np.ndarray and np.array_equal(kept, getattr(tiny_model, name)), name


def test_a_model_of_the_previous_format_still_loads(tmp_path, tiny_model, monkeypatch):
    def as_format_6(model):  # offers pickled as objects, only the inverted index kept
        state = {f.name: getattr(model, f.name) for f in dataclass_fields(model) if f.name != "encodings"}
        return {**state, "word_columns": model.word_columns}

    monkeypatch.setattr(MatchModel, "__getstate__", as_format_6)
    target = save(tiny_model, tmp_path / "m")
    monkeypatch.undo()
    card = json.loads((target / CARD).read_text())
    (target / CARD).write_text(json.dumps({**card, "format_version": 6}))
    loaded = load(target)
    assert loaded.offers == tiny_model.offers and "regions" not in loaded.__dict__
    profile = parse_profile({"needs": "Beteiligung von Jugendlichen", "role_title": "Jugendhilfeplaner"})
    assert recommend(loaded, profile, 5) == recommend(tiny_model, profile, 5)


def test_a_changed_model_keeps_the_views_cached_on_it(tiny_model):
    columns = tiny_model.word_columns
    for twin in (tiny_model.lexical(), tiny_model.but(weights=tiny_model.weights.without("char"))):
        assert twin.word_columns is columns and twin.offers is tiny_model.offers
    assert tiny_model.lexical().encoder is None and tiny_model.encoder is not None
    with pytest.raises(TypeError, match="offers"):
        tiny_model.but(offers=())


def test_the_model_card_describes_the_model(tmp_path, tiny_model):
    card = json.loads((save(tiny_model, tmp_path / "m", catalog_sha256="abc") / CARD).read_text())
    assert card["format_version"] == FORMAT_VERSION and card["catalog_sha256"] == "abc"
    offers = tiny_model.offers
    assert card["offers"] == len(offers) == TINY_OFFERS
    assert card["per_field"]["beteiligung"] == sum("beteiligung" in o.fields for o in offers) > 0
    assert card["per_role"]["planung"] == sum("planung" in o.target_roles for o in offers) > 0
    assert {"created", "package_version", "weights", "encoder"} <= set(card)


def visible_and_versions(folder):
    names = sorted(p.name for p in folder.iterdir())
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".m.v-")], names


def test_saving_over_an_existing_model_swaps_it_whole(tmp_path, tiny_model):
    target = tmp_path / "m"
    save(tiny_model, target)
    first = target.resolve()
    (target / "stale.txt").write_text("old")
    save(tiny_model, target)
    assert not (target / "stale.txt").exists() and target.resolve() != first and not first.exists()
    visible, versions, names = visible_and_versions(tmp_path)
    assert visible == ["m"] and len(versions) == 1 and len(names) == 2  # no temporary leftovers


def test_a_path_that_is_not_a_model_is_never_replaced(tmp_path, tiny_model):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    data = tmp_path / "catalog.jsonl"
    data.write_text("{}\n")
    for target in (precious, data):
        with pytest.raises(ModelLoadError, match="refusing to replace"):
            save(tiny_model, target)
    assert (precious / "notes.txt").read_text() == "keep me" and data.read_text() == "{}\n"


def test_saved_files_are_readable_by_other_users(tmp_path, tiny_model):
    target = save(tiny_model, tmp_path / "m")
    assert oct(target.resolve().stat().st_mode & 0o777) == "0o755"
    assert oct((target / CARD).stat().st_mode & 0o777) == "0o644"


def test_a_failed_save_keeps_the_old_model(tmp_path, tiny_model, monkeypatch):
    target = save(tiny_model, tmp_path / "m")
    before = (target / CARD).read_text()

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("matcher.model._persistence.joblib.dump", broken_dump)
    with pytest.raises(OSError):
        save(tiny_model, target)
    assert (target / CARD).read_text() == before
    visible, versions, names = visible_and_versions(tmp_path)
    assert visible == ["m"] and len(versions) == 1 and len(names) == 2


@pytest.mark.parametrize("damage, words", [
    (lambda d: None, "does not exist"),
    (lambda d: d.mkdir(), "half-written"),
    (lambda d: (d.mkdir(), (d / CARD).write_text('{"kind": "other"}')), "not written by kommune-matcher"),
    (lambda d: (d.mkdir(), (d / CARD).write_text('{"kind": "kommune-matcher-model", "format_version": 99}')),
     f"model format 99 found, this matcher reads {FORMAT_VERSION}"),
    (lambda d: (d.mkdir(), (d / CARD).write_text(
        f'{{"kind": "kommune-matcher-model", "format_version": {FORMAT_VERSION}}}')),
     "half-written"),
    (lambda d: (d.mkdir(), (d / CARD).write_text("{kaputt")), "damaged"),
], ids=["missing", "empty-dir", "foreign", "other-version", "no-artifact", "broken-card"])
def test_loading_refuses_what_it_cannot_trust(tmp_path, damage, words):
    target = tmp_path / "m"
    damage(target)
    with pytest.raises(ModelLoadError, match=words):
        load(target)


def test_a_truncated_artifact_is_refused(tmp_path, tiny_model):
    target = save(tiny_model, tmp_path / "m")
    data = (target / ARTIFACT).read_bytes()
    (target / ARTIFACT).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="cannot be read"):
        load(target)


class BrokenEncoder:
    name = "broken"

    def encode_queries(self, texts):
        raise RuntimeError("model weights missing")

    encode_passages = encode_queries


class CharacterCountEncoder:
    """A toy encoder of our own: a user may plug in any model with this interface."""

    name = "toy"

    def _encode(self, texts):
        rows = np.array([[t.lower().count(c) for c in "aeiousnrt"] for t in texts], dtype=np.float32) + 1e-3
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    encode_queries = encode_passages = _encode


def test_a_user_encoder_can_be_plugged_in_and_persisted(tmp_path):
    offers, _ = read_catalog(TINY_CATALOG)
    model = fit_model(offers, encoder=CharacterCountEncoder())
    assert model.semantic and model.embeddings.shape == (14, 9)
    loaded = load(save(model, tmp_path / "m"))
    assert loaded.encoder.name == "toy"
    assert recommend(loaded, parse_profile({"needs": "Beteiligung"}), 3).recommendations


def test_an_encoder_that_fails_at_load_falls_back_to_lexical_with_a_warning(tmp_path, caplog):
    offers, _ = read_catalog(TINY_CATALOG)
    model = fit_model(offers, encoder=CharacterCountEncoder())
    target = save(model, tmp_path / "m")
    import joblib
    broken = joblib.load(target / ARTIFACT)
    object.__setattr__(broken, "encoder", BrokenEncoder())
    joblib.dump(broken, target / ARTIFACT)
    with caplog.at_level(logging.WARNING):
        loaded = load(target)
    assert not loaded.semantic
    assert "lexical signals only" in caplog.text
    result = recommend(loaded, parse_profile({"needs": "Jugendbeteiligung planen", "role": "planung"}), 3)
    assert result.recommendations[0].offer_id == "t01"


def test_a_catalog_without_an_encoder_trains_lexical_only():
    offers, _ = read_catalog(TINY_CATALOG)
    model = fit_model(offers, encoder=None)
    assert not model.semantic
    assert recommend(model, parse_profile({"needs": "Suchtprävention", "region": "NW"}), 1).recommendations


def test_a_retrain_encodes_only_the_offers_that_changed_and_equals_a_full_retrain(tmp_path):
    import numpy as np

    from conftest import run_cli
    lines = TINY_CATALOG.read_text(encoding="utf-8").splitlines()
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # the last offer is new in the second
    edited = [json.loads(line) for line in lines]
    edited[0]["title"] += " (2. Auflage)"
    edited[1]["description"] += " Neu mit Online-Terminen."
    second = tmp_path / "second.jsonl"
    second.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in edited[1:]), encoding="utf-8")
    run_cli("train", "--catalog", first, "--model", tmp_path / "m", check_rc=0)
    again = run_cli("train", "--catalog", second, "--model", tmp_path / "m", check_rc=0)
    changed = 2  # offer 1 edited and the new last offer; offer 0 is gone
    assert f"{changed} offers encoded, {len(edited) - 1 - changed} reused" in again.stdout
    run_cli("train", "--catalog", second, "--model", tmp_path / "full", check_rc=0)
    incremental, full = load(tmp_path / "m"), load(tmp_path / "full")
    assert np.array_equal(incremental.embeddings, full.embeddings)
    assert full.card["encoding"] == {"encoded": len(edited) - 1, "reused": 0}
    profile = parse_profile({"needs": "Beteiligung von Jugendlichen", "role_title": "Jugendhilfeplaner"})
    assert recommend(incremental, profile, 10) == recommend(full, profile, 10)
    unchanged = run_cli("train", "--catalog", second, "--model", tmp_path / "m", check_rc=0)
    assert f"0 offers encoded, {len(edited) - 1} reused" in unchanged.stdout


def test_each_offer_embedding_is_kept_once_and_a_retrain_reuses_it(tmp_path, tiny_model):
    from matcher.model import read_encodings
    target = save(tiny_model, tmp_path / "m")
    with np.load(target / "encodings.npz") as kept:
        assert len(kept["passage_keys"]) == TINY_OFFERS  # keys only: the rows are the embeddings file's
        assert len(kept["keys"]) == len(kept["rows"]) == len(tiny_model.encodings) - TINY_OFFERS
    assert np.array_equal(np.load(target / "embeddings.npy"), tiny_model.embeddings)
    known = read_encodings(target)
    assert sorted(known) == sorted(tiny_model.encodings)
    assert all(np.array_equal(known[k], tiny_model.encodings[k]) for k in known)
    offers, _ = read_catalog(TINY_CATALOG)
    assert fit_model(offers, encodings=known).card["encoding"] == {"encoded": 0, "reused": TINY_OFFERS}


def test_offers_encoded_a_chunk_at_a_time_equal_one_batch_and_count_the_same(monkeypatch, tiny_model):
    import matcher.model._model as model_module
    offers, _ = read_catalog(TINY_CATALOG)
    known = {k: v for i, (k, v) in enumerate(tiny_model.encodings.items()) if i % 2}  # half of them reused
    whole = fit_model(offers, encodings=known)
    monkeypatch.setattr(model_module, "ENCODE_CHUNK", 3)  # several chunks, the last one short
    chunked = fit_model(offers, encodings=known)
    assert np.array_equal(chunked.embeddings, whole.embeddings)
    assert chunked.card["encoding"] == whole.card["encoding"]
    assert sorted(chunked.encodings) == sorted(whole.encodings)
    assert all(np.array_equal(chunked.encodings[k], whole.encodings[k]) for k in whole.encodings)


def test_offers_texts_built_when_read_give_the_vectorizer_the_same_matrices_as_a_list(monkeypatch):
    import matcher.text._analysis as analysis
    from matcher.model._model import OfferTexts
    from matcher.text import TextVectorizer
    monkeypatch.setattr(analysis, "COUNT_CHUNK", 2)  # the char n-grams read the texts in several slices
    offers, _ = read_catalog(TINY_CATALOG)
    texts = OfferTexts(offers)
    assert len(texts) == TINY_OFFERS and texts[1] == offers[1].text and texts[1:3] == [o.text for o in offers[1:3]]
    lazy, listed = (TextVectorizer().fit_transform(t, extra_lexicon=["Drogen"]) for t in (texts, [*texts]))
    for a, b in zip(lazy, listed):
        assert a.shape == b.shape and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data)


def test_read_ahead_reads_a_models_files_through_once_unless_they_would_crowd_the_memory(tmp_path, tiny_model,
                                                                                         monkeypatch):
    import builtins
    import os

    from matcher.model import read_ahead
    target = save(tiny_model, tmp_path / "m")
    opened, real_open = [], builtins.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: opened.append(os.path.basename(f)) or real_open(f, *a, **k))
    assert read_ahead(target) and opened == ["model.joblib", "offers.bin", "embeddings.npy"]
    opened.clear()
    real_sysconf = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: 1 if name == "SC_AVPHYS_PAGES" else real_sysconf(name))
    assert not read_ahead(target) and opened == []
    assert not read_ahead(tmp_path / "nothing-here")  # no files: nothing to read
    monkeypatch.undo()
    assert load(target).offers == tiny_model.offers


def test_offers_pack_in_chunks_without_leaving_utf8_copies_in_their_strings_and_unpack_as_they_were(monkeypatch):
    import sys
    import matcher.model._model as model_module
    offers, _ = read_catalog(TINY_CATALOG)
    offers = tuple(offers)
    sizes = [sys.getsizeof(o.description) for o in offers]  # CPython counts a cached UTF-8 copy in the size
    assert any(not o.description.isascii() for o in offers)
    monkeypatch.setattr(model_module, "PACK_CHUNK", 3)
    packed = model_module.pack_offers(offers)
    assert len(packed) == -(-TINY_OFFERS // 3) and all(p.dtype == np.uint8 for p in packed)
    assert [sys.getsizeof(o.description) for o in offers] == sizes
    assert model_module.unpack_offers(packed) == offers
    import io
    import pickle
    one = io.BytesIO()  # format 7: one pickle of all the offers' columns, strings as they are
    pickle.dump({name: [getattr(o, name) for o in offers] for name in model_module.OFFER_COLUMNS}, one, protocol=5)
    assert model_module.unpack_offers(np.frombuffer(one.getbuffer(), dtype=np.uint8)) == offers


def test_a_saved_model_keeps_its_offers_in_a_file_of_their_own_written_a_chunk_at_a_time(tmp_path, tiny_model,
                                                                                         monkeypatch):
    import pickle

    import joblib
    import matcher.model._model as model_module
    monkeypatch.setattr(model_module, "PACK_CHUNK", 4)
    target = save(tiny_model, tmp_path / "m")
    apart = joblib.load(target / ARTIFACT, mmap_mode="r").offers  # the artifact says where each chunk ends
    assert isinstance(apart, model_module.OffersApart) and len(apart.ends) == -(-TINY_OFFERS // 4)
    assert apart.ends[-1] == (target / "offers.bin").stat().st_size
    assert load(target).offers == tiny_model.offers
    assert pickle.loads(pickle.dumps(tiny_model)).offers == tiny_model.offers  # pickled whole, they go along
    (target / "offers.bin").write_bytes((target / "offers.bin").read_bytes()[:apart.ends[0] + 10])
    with pytest.raises(ModelLoadError, match="offers.bin.*cannot be read"):
        load(target)
    (target / "offers.bin").unlink()
    with pytest.raises(ModelLoadError, match="offers.bin.*missing"):
        load(target)


def test_a_model_whose_embeddings_file_is_damaged_or_foreign_is_refused(tmp_path, tiny_model):
    target = save(tiny_model, tmp_path / "m")
    np.save(target / "embeddings.npy", np.zeros((TINY_OFFERS - 1, 4), dtype=np.float32))
    with pytest.raises(ModelLoadError, match="embeddings.npy.*does not fit"):
        load(target)
    (target / "embeddings.npy").write_bytes(b"no array")
    with pytest.raises(ModelLoadError, match="embeddings.npy.*cannot be read"):
        load(target)


def test_train_reads_fits_hashes_and_saves_in_one_call(tmp_path):
    import hashlib

    from matcher import train
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(TINY_CATALOG.read_text(encoding="utf-8") + '{"id": "broken"}\n', encoding="utf-8")
    done = train(catalog, tmp_path / "m", encoder=None)
    assert (done.offers, done.semantic, done.encoded, done.reused) == (TINY_OFFERS, False, 0, 0)
    assert {p.loc[0] for p in done.problems} == {len(TINY_CATALOG.read_text(encoding="utf-8").splitlines()) + 1}
    assert done.catalog_sha256 == hashlib.sha256(catalog.read_bytes()).hexdigest()
    from matcher.model import read_card
    assert read_card(tmp_path / "m")["catalog_sha256"] == done.catalog_sha256


def test_train_without_a_good_record_writes_nothing(tmp_path):
    from matcher import MatcherInputError, train
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text('{"id": "broken"}\n', encoding="utf-8")
    with pytest.raises(MatcherInputError) as caught:
        train(catalog, tmp_path / "m", encoder=None)
    assert [p.type for p in caught.value.problems][-1] == "no_offers"
    assert not (tmp_path / "m").exists()


def test_kept_encodings_are_a_mapping_over_the_rows_by_their_keys_and_a_dict_of_the_others():
    from matcher.text import KeptEncodings, content_key
    a, b, c = (content_key("enc", "passage", t) for t in "abc")
    q = content_key("enc", "query", "q")
    rows = np.arange(8, dtype=np.float32).reshape(4, 2)
    kept = KeptEncodings([a, b, c, b], rows, {q: np.ones(2, np.float32), a: rows[0]})  # b twice: one key
    assert len(kept) == 4 and sorted(kept) == sorted({a, b, c, q}) and dict(kept).keys() == {a, b, c, q}
    assert kept[b].tolist() == [2.0, 3.0] and kept[c].tolist() == [4.0, 5.0] and kept[q].tolist() == [1.0, 1.0]
    assert np.shares_memory(kept[c], rows)  # the row where it lies, not a copy
    assert c in kept and "x" not in kept and "Straße" not in kept and 3 not in kept and kept.get("x") is None
    with pytest.raises(KeyError):
        kept["x"]


def test_a_fit_keeps_its_offers_embeddings_by_key_and_a_directory_gives_them_back_mapped(tmp_path, tiny_model):
    from matcher.model import read_encodings
    from matcher.text import KeptEncodings
    assert isinstance(tiny_model.encodings, KeptEncodings) and tiny_model.encodings.rows is tiny_model.embeddings
    assert len(tiny_model.encodings.row_keys) == TINY_OFFERS  # the others: field examples and synonyms
    assert len(tiny_model.encodings.extra) == len(tiny_model.encodings) - TINY_OFFERS > 0
    target = save(tiny_model, tmp_path / "m")
    known = read_encodings(target)
    assert isinstance(known.rows, np.memmap)  # read where the embeddings file lies
    again = save(load(target), tmp_path / "m", encodings=known)  # as `matcher refit` saves
    with np.load(again / "encodings.npz") as kept:
        assert len(kept["passage_keys"]) == TINY_OFFERS and len(kept["keys"]) == len(known) - TINY_OFFERS
    assert sorted(read_encodings(again)) == sorted(tiny_model.encodings)


def test_fit_model_returns_its_encodings_and_leaves_the_callers_alone(tiny_model):
    from matcher import fit_model, read_catalog
    offers, _ = read_catalog(TINY_CATALOG)
    known = dict(tiny_model.encodings)
    before = sorted(known)
    refit = fit_model(offers, encodings=known)
    assert sorted(known) == before  # read, not refilled
    assert refit.card["encoding"] == {"encoded": 0, "reused": TINY_OFFERS}
    assert sorted(refit.encodings) == sorted(tiny_model.encodings)


def test_a_save_sweeps_what_a_killed_save_left_and_nothing_else(tmp_path, tiny_model):
    import os
    import socket
    import subprocess
    import sys
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that is no longer alive: its save was killed mid-write

    def version(name, pid, host=socket.gethostname()):
        folder = tmp_path / f".m.v-{name}"
        folder.mkdir()
        if pid is not None:
            (folder / ".writer").write_text(json.dumps({"pid": pid, "host": host}), encoding="utf-8")
        return folder

    killed, alive = version("killed", gone.pid), version("alive", os.getpid())
    elsewhere, unmarked = version("elsewhere", gone.pid, host="another-machine"), version("unmarked", None)
    (tmp_path / ".m.link-killed").symlink_to(killed.name)
    save(tiny_model, tmp_path / "m")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert ".m.v-killed" not in left and ".m.link-killed" not in left
    assert {alive.name, elsewhere.name, unmarked.name} <= set(left)
    assert not (tmp_path / "m" / ".writer").exists() and len(load(tmp_path / "m").offers) == TINY_OFFERS
