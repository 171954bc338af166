"""Insights: consent gating and deletion, questionnaire scoring, weekly indicators on a real tagged history."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from testpaths import LISTENING, ROOT, cli_env

from core.features.tables import import_table
from core.insights import consent, questionnaires
from core.insights.indicators import weekly_indicators
from core.insights.lexicon import moods_of
from core.jobs import run_job
from core.sources.importing import import_files
from core.store.queries import account_by_name

ERZADEL = LISTENING / "edelgrace" / "erzadel_cleaned.csv"
ERZADEL_TAGS = LISTENING / "edelgrace" / "artists.csv"
ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"


@pytest.fixture(scope="module")
def tagged_store(tmp_path_factory):
    from core.store import open_store

    path = tmp_path_factory.mktemp("insights") / "s.sqlite"
    store = open_store(f"sqlite:///{path}")
    run_job(import_files(store, [ERZADEL], "erzadel"))
    run_job(import_table(store, ERZADEL_TAGS, "tags", account="erzadel"))
    yield store
    store.dispose()


def test_lexicon():
    assert moods_of("Sad") == ("sad",)
    assert "sad" in moods_of("melancholic indie")
    assert moods_of("post-rock") == ()
    assert set(moods_of("sad love songs")) == {"sad", "romantic"}


def test_k10_scored_as_published():
    k10 = questionnaires.K10
    assert questionnaires.score(k10, [1] * 10) == {"total": 10, "band": "low", "range": [10, 50]}
    assert questionnaires.score(k10, [2] * 8 + [1, 1])["band"] == "moderate"  # 18
    assert questionnaires.score(k10, [3] * 8 + [1, 2])["band"] == "high"  # 27
    assert questionnaires.score(k10, [5] * 10)["band"] == "very high"
    with pytest.raises(questionnaires.AnswerError):
        questionnaires.score(k10, [1] * 9)
    with pytest.raises(questionnaires.AnswerError):
        questionnaires.score(k10, [0] + [1] * 9)


def test_hums_subscales():
    answers = [1, 1, 5, 1, 5, 5, 1, 1, 5, 1, 1, 1, 5]  # healthy items all 5, unhealthy all 1
    assert questionnaires.score(questionnaires.HUMS, answers) == {
        "healthy": 5.0,
        "unhealthy": 1.0,
        "range": [1, 5],
    }


def test_consent_is_required_and_withdrawal_deletes(store, shared):
    run_job(import_files(store, [ALEEX], "me"))
    acc = account_by_name(store.engine, "me").id
    assert not consent.has_consent(store, acc)
    with pytest.raises(consent.ConsentRequired):
        consent.require_consent(store, acc)
    consent.enable(store, acc)
    questionnaires.save(store, acc, "k10", [2] * 10)
    questionnaires.save(store, acc, "hums", [3] * 13)
    assert len(questionnaires.history(store, acc)) == 2
    assert consent.disable(store, acc) == 2
    assert not consent.has_consent(store, acc) and questionnaires.history(store, acc) == []


def test_weekly_indicators_on_a_real_tagged_history(tagged_store, shared):
    acc = account_by_name(tagged_store.engine, "erzadel").id
    weeks = weekly_indicators(tagged_store.engine, acc, tz_name="UTC")
    assert len(weeks) > 40
    assert sum(w["plays"] for w in weeks) > 29000
    busy = [w for w in weeks if w["plays"] >= 20]
    for w in busy:
        assert 0 <= w["repetition"] <= 1 and 0 <= w["late_night_share"] <= 1
        assert w["diversity"] is not None and w["diversity"] >= 0
    coverage = np.mean([w["mood"]["coverage"] for w in busy])
    assert coverage > 0.3, "artist tags from the edelgrace table give moods to most plays"
    assert any(w["mood"]["sad"] for w in busy)
    assert any(w["sentences"] for w in busy[5:]), "some weeks differ from the listener's usual"
    for w in busy[5:]:
        for key, sentence in w["sentences"].items():
            assert "usual" in sentence and key in w["baseline"]


def test_repetition_definitions_on_a_tiny_history(store):
    from core.sources.records import ImportSummary, PlayRecord
    from core.store.catalog import get_or_create_account
    from core.store.ingest import Ingestor

    t0 = 1_700_000_000 - (1_700_000_000 % 604800) + 4 * 86400  # a Monday 00:00 UTC
    plays = [
        PlayRecord("A", "x", t0 + 36000),
        PlayRecord("A", "y", t0 + 36300),
        PlayRecord("A", "x", t0 + 36600),
        PlayRecord("B", "z", t0 + 86400 + 43200),
    ]
    with store.engine.begin() as conn:
        acc = get_or_create_account(conn, "tiny")
        for _ in Ingestor(conn, acc, "t").run(plays, ImportSummary("t", "t")):
            pass
    (w,) = weekly_indicators(store.engine, acc, tz_name="UTC")
    assert w["plays"] == 4 and w["repetition"] == 0.25
    assert w["repetition_within_session"] == 0.25 and w["repetition_across_sessions"] == 0.0
    assert w["artist_repetition"] == 0.5 and w["late_night_share"] == 0.0


def _segue(tmp_path, *args):
    env = cli_env(tmp_path / "home")
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", f"sqlite:///{tmp_path / 'c.sqlite'}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_exits_3_without_consent_and_prints_weeks_with_it(tmp_path, shared):
    _segue(tmp_path, "import", str(ALEEX), "--account", "me")
    out = _segue(tmp_path, "insights", "--account", "me", "--json")
    assert out.returncode == 3 and "turn them on" in out.stderr and out.stdout == ""
    assert _segue(tmp_path, "insights", "enable", "--account", "me", "--yes").returncode == 0
    data = json.loads(_segue(tmp_path, "insights", "--account", "me", "--json").stdout)
    week = data["weeks"][-1]
    assert {"week", "repetition", "diversity", "late_night_share", "mood"} <= set(week)
    ok = _segue(
        tmp_path,
        "insights",
        "selfcheck",
        "k10",
        "--account",
        "me",
        "--answers",
        ",".join(["2"] * 10),
        "--json",
    )
    assert json.loads(ok.stdout)["total"] == 20
    assert _segue(tmp_path, "insights", "disable", "--account", "me").returncode == 0
    assert _segue(tmp_path, "insights", "--account", "me", "--json").returncode == 3
