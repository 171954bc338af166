"""Resumable refresh: cancelled between answers, or SIGKILLed mid-run, the next run continues where it
stopped and never asks again for an answer that was stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict

import pytest
from livefakes import config, fakes, listener
from sqlalchemy import select
from testpaths import ROOT

from core.catalogue.refresh import refresh_catalogue
from core.jobs import Cancelled, CancelToken
from core.store.schema import CatalogueFetch

SOURCES = ["lastfm.artist.getSimilar", "lastfm.artist.getTopTracks", "lastfm.track.getSimilar"]


def stored(store) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(CatalogueFetch.source, CatalogueFetch.key).where(
                CatalogueFetch.status.in_(["ok", "empty", "not_found"])
            )
        ).all()
    return {f"{s}|{k}" for s, k in rows}


def asked(fm) -> list[str]:
    out = []
    for r in fm.requests:
        p, m = r.params, r.params.get("method", "")
        source = {
            "artist.getSimilar": SOURCES[0],
            "artist.getTopTracks": SOURCES[1],
            "track.getSimilar": SOURCES[2],
        }[m]
        from core.normalize import artist_key, track_key

        key = artist_key(p["artist"]) + (f"\t{track_key(p['track'])}" if "track" in p else "")
        out.append(f"{source}|{key}")
    return out


def test_cancel_between_answers_then_resume(store, tmp_path):
    listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        cfg = config(fm, lb, mb)
        token = CancelToken()
        gen = refresh_catalogue(store, "me", config=cfg, sources=SOURCES, cancel=token)
        seen = 0
        with pytest.raises(Cancelled):
            for _ in gen:
                seen += 1
                if fm.count() >= 3:
                    token.cancel()
        first = set(asked(fm))
        assert stored(store) == first  # every answer asked for was committed
        fm.clear_log()
        from core.jobs import run_job

        run_job(refresh_catalogue(store, "me", config=cfg, sources=SOURCES))
        assert not set(asked(fm)) & first  # nothing asked twice
        assert len(stored(store)) == len(first) + fm.count()


CHILD = """
import json, os, sys
sys.path.insert(0, os.getcwd())
from core.catalogue.refresh import refresh_catalogue
from core.catalogue.seeds import SeedPolicy
from core.catalogue.sources import CatalogueConfig
from core.jobs import run_job
from core.store.engine import open_store
from core.features.providers import ProviderConfig
cfg = json.loads(os.environ["CFG"])
cfg["seeds"] = SeedPolicy(**cfg["seeds"])
cfg["providers"] = ProviderConfig(**cfg["providers"])
store = open_store(os.environ["DB"])
run_job(refresh_catalogue(store, "me", config=CatalogueConfig(**cfg), sources=json.loads(os.environ["SOURCES"])))
"""


def test_sigkill_mid_run_then_resume_without_refetching(store, tmp_path):
    listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        cfg = config(fm, lb, mb, rates={"lastfm": 2.0})  # slow enough that the kill lands mid-run
        env = dict(os.environ, CFG=json.dumps(asdict(cfg)), DB=store.url, SOURCES=json.dumps(SOURCES))
        child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while fm.count() < 4 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        before_kill = stored(store)
        first = asked(fm)
        assert 3 <= len(before_kill) <= len(first)  # at most the answer in flight was lost
        fm.clear_log()
        from core.jobs import run_job

        run_job(refresh_catalogue(store, "me", config=cfg, sources=SOURCES))
        again = asked(fm)
        assert not set(again) & before_kill  # nothing stored before the kill is asked again
        in_flight = set(first) - before_kill
        assert len(in_flight) <= 1 and set(again) >= in_flight
