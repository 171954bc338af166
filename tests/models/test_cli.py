"""`segue train / recommend / eval` as other tools use them: the JSON contract of issue 3, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from model_cuts import ALEEX, write_cut
from testpaths import ROOT, cli_env

CONTRACT = {
    "model",
    "seed",
    "n_test",
    "hr@10",
    "ndcg@10",
    "mrr@20",
    "hr@10_repeat",
    "hr@10_explore",
    "ndcg@10_repeat",
    "ndcg@10_explore",
    "coverage@20",
    "train_seconds",
    "peak_rss_mb",
    "account",
}


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    if not ALEEX.exists():
        pytest.skip("shared data not found")
    tmp = tmp_path_factory.mktemp("cli")
    env = cli_env(tmp / "home")

    def segue(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app", "--db", f"sqlite:///{tmp / 'cli.sqlite'}", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    out = segue("import", str(write_cut(ALEEX, tmp / "aleex.csv", 1500)), "--account", "aleex")
    assert out.returncode == 0, out.stderr
    segue.tmp = tmp
    return segue


def test_eval_writes_the_json_contract_and_a_table(cli):
    target = cli.tmp / "out.json"
    out = cli(
        "eval",
        "--account",
        "aleex",
        "--models",
        "pop,markov_recency",
        "--seeds",
        "1,2",
        "--json",
        str(target),
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(target.read_text())
    assert set(doc) >= {"protocol", "results"} and doc["protocol"]["test"].startswith("last 10%")
    assert len(doc["results"]) == 4 and {(r["model"], r["seed"]) for r in doc["results"]} == {
        ("pop", 1),
        ("pop", 2),
        ("markov_recency", 1),
        ("markov_recency", 2),
    }
    for row in doc["results"]:
        assert CONTRACT <= set(row), CONTRACT - set(row)
        assert (
            row["account"] == "aleex"
            and 130 <= row["n_test"] <= 150
            and 0 <= row["ndcg@10"] <= row["hr@10"] <= 1
        )
    assert "markov_recency" in out.stdout and "ndcg@10" in out.stdout


def test_eval_list_and_user_errors(cli):
    out = cli("eval", "--list")
    assert out.returncode == 0 and "default" in out.stdout and "markov_recency" in out.stdout
    bad = cli("eval", "--account", "nobody", "--models", "pop")
    assert bad.returncode == 2 and "no account named 'nobody'" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli("eval", "--account", "aleex", "--models", "no_such_model")
    assert bad.returncode == 2 and "unknown model" in bad.stderr


def test_train_then_recommend_json(cli):
    out = cli("train", "--account", "aleex", "--model", "default", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["model"] == "default" and result["plays"] > 1000 and result["train_seconds"] >= 0
    out = cli("recommend", "--account", "aleex", "-k", "5", "--json")
    assert out.returncode == 0, out.stderr
    recs = json.loads(out.stdout)["suggestions"]
    assert len(recs) == 5 and all(r["reason"] and r["track"] and r["artist"] for r in recs)
