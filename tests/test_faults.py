"""Faults from outside: `train` killed at any moment, a full disk, a broken model swapped in under a running
service. The previous model stays whole and loadable, and the messages say what happened."""
import json
import logging
import shutil
import signal
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from conftest import TINY_CATALOG, TINY_OFFERS, run_cli, wait_until_ready
from matcher import load
from service.lifespan import reload_if_changed
from service.main import create_app
from service.settings import Settings

TRAIN = [sys.executable, "-m", "matcher.cli", "train", "--model"]


def smaller_catalog(tmp_path, n=9):
    lines = TINY_CATALOG.read_text(encoding="utf-8").splitlines()[:n]
    path = tmp_path / "smaller.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_train_killed_at_any_moment_leaves_a_whole_model(tmp_path):
    model_dir = tmp_path / "m"
    run_cli("train", "--catalog", TINY_CATALOG, "--model", model_dir, check_rc=0)
    catalog = smaller_catalog(tmp_path)
    for delay in (0.1, 0.4, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0, 4.0, 6.0):
        proc = subprocess.Popen([*TRAIN, str(model_dir), "--catalog", str(catalog)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # whatever the moment: the old model or the new one, whole
        assert len(load(model_dir).offers) in (14, 9)
    # and what the killed runs left behind never stands in the way of the next train
    run_cli("train", "--catalog", catalog, "--model", model_dir, check_rc=0)
    assert len(load(model_dir).offers) == 9
    assert json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["kind"] == "kommune-matcher-model"


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 1400 KiB tmpfs: room for one tiny model (about 940 KiB, uncompressed, with the embeddings it
    keeps for the next retrain) but not for a second beside it."""
    folder = tmp_path / "small"
    folder.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1400k", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("mounting a size-limited tmpfs needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_is_a_clear_error_and_the_old_model_stays(small_disk):
    model_dir = small_disk / "m"
    run_cli("train", "--catalog", TINY_CATALOG, "--model", model_dir, check_rc=0)
    proc = run_cli("train", "--catalog", TINY_CATALOG, "--model", model_dir, check_rc=3)
    assert "No space left on device" in proc.stderr and "the previous model is kept" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(load(model_dir).offers) == TINY_OFFERS
    assert [p.name for p in small_disk.iterdir() if p.name.startswith(".m.v-")] == [model_dir.resolve().name]


def test_a_broken_model_swapped_in_is_refused_and_the_old_one_keeps_serving(tmp_path, caplog):
    model_dir = tmp_path / "m"
    run_cli("train", "--catalog", smaller_catalog(tmp_path), "--model", model_dir, check_rc=0)
    settings = Settings(model_dir=str(model_dir), reload_seconds=0)
    app = create_app(settings=settings)
    with TestClient(app) as client:
        wait_until_ready(client)
        # a new version whose artifact was cut short, swapped in the way `train` swaps
        broken = tmp_path / ".m.v-broken"
        shutil.copytree(model_dir.resolve(), broken)
        artifact = broken / "model.joblib"
        artifact.write_bytes(artifact.read_bytes()[:1000])
        (tmp_path / "link").symlink_to(broken.name)
        (tmp_path / "link").replace(model_dir)
        with caplog.at_level(logging.ERROR, logger="service"):
            assert not reload_if_changed(app)
        assert "cannot be loaded, keeping the current one" in caplog.text and "model.joblib" in caplog.text
        assert client.get("/ready").json()["offers"] == 9
        r = client.post("/recommendations", json={"profile": {"needs": "Jugendbeteiligung"}, "top_k": 3})
        assert r.status_code == 200 and r.json()["recommendations"]


def test_a_locked_demand_database_costs_no_request_and_keeps_what_it_holds(tmp_path, tiny_model, caplog):
    import sqlite3

    db = tmp_path / "demand.sqlite"
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_db=f"sqlite:///{db}"))
    body = {"profile": {"role_title": "Jugendhilfeplanerin", "needs": "Jugendliche beteiligen"}, "top_k": 2}
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        assert client.post("/recommendations", json=body).status_code == 200
        app.state.demand_log.flush()
        locker = sqlite3.connect(db, timeout=0)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the database
        started = time.perf_counter()
        for _ in range(3):
            assert client.post("/recommendations", json=body).status_code == 200
        assert time.perf_counter() - started < 5  # the requests never waited for the lock
        app.state.demand_log.flush()  # the writer found the database locked and kept the rows
        locker.rollback()
        locker.close()
        assert client.post("/recommendations", json=body).status_code == 200
        kept = app.state.demand_log.read()
    failures = [r for r in caplog.records if "demand log" in r.getMessage()]
    assert len(failures) == 1 and "recommendations go on without it" in failures[0].getMessage()
    assert len(kept) == 5  # the row stored before the lock, the three of the lock, written later, and the last


def test_a_read_only_demand_database_costs_no_request_and_keeps_what_it_holds(tmp_path, tiny_model, caplog):
    from matcher.coverage import DemandLog
    from matcher.ranking import Interpretation
    from matcher import Profile
    db = tmp_path / "demand.sqlite"
    before = DemandLog(f"sqlite:///{db}")
    before.record(Interpretation("planung", 1.0, "given", ("beteiligung",), "given"), Profile(needs="x"))
    before.flush()
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_db=read_only))
    body = {"profile": {"role_title": "Jugendhilfeplanerin", "needs": "Jugendliche beteiligen"}, "top_k": 2}
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        for _ in range(3):
            assert client.post("/recommendations", json=body).status_code == 200
        app.state.demand_log.flush()
        assert client.get("/coverage").status_code == 200
    failures = [r for r in caplog.records if "demand log" in r.getMessage()]
    assert len(failures) == 1 and "recommendations go on without it" in failures[0].getMessage()
    assert [(r.role, r.fields) for r in DemandLog(f"sqlite:///{db}").read()] == [("planung", ("beteiligung",))]


def test_a_demand_database_that_is_gone_costs_no_request(tmp_path, tiny_model, caplog):
    folder = tmp_path / "log"
    folder.mkdir()
    app = create_app(model=tiny_model, settings=Settings(model_dir=None,
                                                         demand_db=f"sqlite:///{folder / 'demand.sqlite'}"))
    body = {"profile": {"role_title": "Jugendhilfeplanerin", "needs": "Jugendliche beteiligen"}, "top_k": 2}
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        assert client.post("/recommendations", json=body).status_code == 200
        app.state.demand_log.flush()
        shutil.rmtree(folder)  # someone removed the database with its folder
        for _ in range(3):
            assert client.post("/recommendations", json=body).status_code == 200
        app.state.demand_log.flush()
        coverage = client.get("/coverage")
        assert coverage.status_code == 200 and coverage.json()["demand_total"] == 0
    failures = [r for r in caplog.records if "demand log" in r.getMessage()]
    assert len(failures) == 1 and "recommendations go on without it" in failures[0].getMessage()
