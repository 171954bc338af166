"""The feature backlog job against all the fake services: statuses, caching, staleness, force, offline,
interruption and resume."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "providers"))

from fakes.coverart_server import TINY_JPEG, FakeCoverArt  # noqa: E402
from fakes.http_fake import Fault, unused_port  # noqa: E402
from fakes.lastfm_server import DEFAULT_API_KEY, FakeLastfm  # noqa: E402
from fakes.lrclib_server import FakeLrclib, LrcRecord  # noqa: E402
from fakes.musicbrainz_server import FakeMusicBrainz, MbRecording, MbRelease  # noqa: E402
from features_helpers import T0, items, make_store, statuses  # noqa: E402

from core.features.fetch import backlog, fetch_features  # noqa: E402
from core.features.providers import ProviderConfig, build_providers  # noqa: E402
from core.features.providers.base import Item, Outcome  # noqa: E402
from core.features.providers.state import DAY, RETRY_PREFIX, FetchPolicy, StatusRow  # noqa: E402
from core.jobs import Cancelled, CancelToken, run_job  # noqa: E402

REL = "0da580f2-6768-498f-af9d-2becaddf15e0"
PLAYS = (
    [("Radiohead", "Reckoner", "In Rainbows", 290_000)] * 4
    + [("Radiohead", "Nude", "In Rainbows", 255_000)] * 2
    + [("Sia", "Chandelier", "1000 Forms of Fear", 216_000), ("Nobody", "Nothing", "", 100_000)]
)
NOW = T0 + 10 * DAY


class World:
    """All fake services, a config pointing at them, and a store with PLAYS."""

    def __init__(self, tmp_path: Path):
        self.fm = FakeLastfm(
            users={
                "u": [
                    ("Radiohead", "Reckoner", "In Rainbows", 1_600_000_000),
                    ("Sia", "Chandelier", "", 1_600_000_100),
                ]
            },
            track_tags={("Radiohead", "Reckoner"): ["alternative", "electronic"]},
            artist_tags={"Radiohead": ["rock"], "Sia": ["pop"]},
            artist_info={"Radiohead": {"bio": "An English band."}, "Sia": {"bio": "A singer."}},
        )
        self.lrc = FakeLrclib(
            [
                LrcRecord(1, "Reckoner", "Radiohead", "In Rainbows", 290.0, plainLyrics="Reckoner..."),
                LrcRecord(2, "Chandelier", "Sia", "1000 Forms of Fear", 216.0, instrumental=True),
            ]
        )
        self.mb = FakeMusicBrainz(
            [
                MbRecording(
                    "b1a9c0e9-d987-4042-ae91-78d6a3267d69",
                    "Reckoner",
                    "Radiohead",
                    length=290_000,
                    isrcs=["GBSTK0700038"],
                    releases=[MbRelease(REL, "In Rainbows")],
                )
            ]
        )
        self.caa = FakeCoverArt({REL: TINY_JPEG})
        self.servers = [self.fm, self.lrc, self.mb, self.caa]
        for s in self.servers:
            s.start()
        self.store = make_store(tmp_path, PLAYS)
        self.config = ProviderConfig(
            lastfm_api_key=DEFAULT_API_KEY,
            lastfm_root=self.fm.url,
            lrclib_root=self.lrc.root + "/api/",
            musicbrainz_root=self.mb.url,
            coverart_root=self.caa.root,
            lyrics_sources=["lrclib"],
            timeout=2.0,
            attempts=2,
            backoff_s=0.01,
            lastfm_rate_pause_s=0.01,
            rates={k: 1000.0 for k in ("lastfm", "lrclib", "musicbrainz", "coverartarchive")},
        )

    def requests(self) -> int:
        return sum(s.request_count() if s is self.fm else s.count() for s in self.servers)

    def run(self, **kw):
        kw.setdefault("config", self.config)
        kw.setdefault("now", NOW)
        return run_job(fetch_features(self.store, "alice", **kw))

    def close(self):
        for s in self.servers:
            s.stop()


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


def test_full_backlog_statuses_then_nothing_to_do(world):
    summary = world.run()
    m = summary.modalities
    assert set(m) == {"tags", "lyrics", "ids", "art", "bio", "length"} and "audio" in summary.skipped
    assert m["length"].due == 0 and m["length"].fresh == 4  # every imported play had its length
    assert (m["tags"].ok, m["tags"].missing) == (3, 1)
    assert (m["lyrics"].ok, m["lyrics"].missing) == (2, 2)  # Chandelier is instrumental: ok
    assert (m["ids"].ok, m["ids"].missing) == (1, 3)
    assert m["art"].ok == 1 and m["bio"].ok == 2
    it = items(world.store)
    lyr = statuses(world.store, "track", "lyrics")
    assert lyr[it["Chandelier"].id].status == "ok" and lyr[it["Chandelier"].id].reason == "instrumental"
    assert all(r.fetched_at == NOW for r in lyr.values())
    assert backlog(world.store, "alice", now=NOW) == {
        "tags": 0,
        "lyrics": 0,
        "audio": 4,
        "ids": 0,
        "art": 0,
        "bio": 0,
        "length": 0,
    }  # audio waits for a music folder
    before = world.requests()
    again = world.run()
    assert world.requests() == before  # everything is cached: not one request
    assert all(r.due == 0 for r in again.modalities.values())


def test_concurrent_and_sequential_runs_agree(world, tmp_path):
    a = world.run(concurrent=True).as_dict()["modalities"]
    world.store = make_store(tmp_path / "b", PLAYS)
    b = world.run(concurrent=False).as_dict()["modalities"]
    for m in a:
        assert {k: a[m][k] for k in ("ok", "missing", "error")} == {
            k: b[m][k] for k in ("ok", "missing", "error")
        }


def test_staleness_and_force(world):
    world.run(modalities=["tags", "lyrics"])
    policy = FetchPolicy.from_days({"tags": 30}, {"lyrics": 7})
    assert backlog(world.store, "alice", ["tags", "lyrics"], policy=policy, now=NOW + 8 * DAY) == {
        "tags": 0,
        "lyrics": 2,
    }  # the 2 missing lyrics are asked again after 7 days
    later = world.run(modalities=["tags", "lyrics"], policy=policy, now=NOW + 31 * DAY)
    assert later.modalities["tags"].due == 4 and later.modalities["lyrics"].due == 2
    forced = world.run(modalities=["lyrics"], force=True)
    assert forced.modalities["lyrics"].due == 4


def test_retryable_errors_back_off_and_definite_errors_wait_until_stale(world):
    world.lrc.inject(Fault.status(503), times=None)
    summary = world.run(modalities=["lyrics"])
    assert summary.modalities["lyrics"].error == 4
    st = statuses(world.store, "track", "lyrics")
    assert all(
        r.status == "error" and r.reason.startswith(RETRY_PREFIX) and r.attempts == 1 for r in st.values()
    )
    world.lrc.clear_faults()
    assert world.run(modalities=["lyrics"]).modalities["lyrics"].due == 0  # backoff: 10 min after attempt 1
    retry = world.run(modalities=["lyrics"], now=NOW + 3600)
    assert retry.modalities["lyrics"].ok == 2 and retry.modalities["lyrics"].missing == 2
    policy = FetchPolicy()
    assert policy.retry_after_s(1) == 600 and policy.retry_after_s(5) == 9600
    assert policy.retry_after_s(30) == 7 * DAY
    definite = StatusRow("error", NOW, 1, "cannot analyse x.flac: decode error", "librosa")
    assert not policy.due("audio", definite, NOW + 3600) and policy.due("audio", definite, NOW + DAY)
    assert not policy.due("lyrics", definite, NOW + 29 * DAY) and policy.due(
        "lyrics", definite, NOW + 30 * DAY
    )


def test_offline_keeps_items_pending_waits_and_resumes(world):
    dead = unused_port()
    offline_cfg = ProviderConfig(
        lastfm_api_key=DEFAULT_API_KEY,
        lastfm_root=f"http://127.0.0.1:{dead}/2.0/",
        lrclib_root=f"http://127.0.0.1:{dead}/api/",
        musicbrainz_root=f"http://127.0.0.1:{dead}/ws/2/",
        coverart_root=f"http://127.0.0.1:{dead}/",
        lyrics_sources=["lrclib"],
        timeout=1.0,
        attempts=1,
        backoff_s=0.01,
        rates=world.config.rates,
    )
    progress = []
    job = fetch_features(
        world.store,
        "alice",
        config=offline_cfg,
        now=NOW,
        offline_patience_s=0.3,
        offline_backoff_s=(0.05, 0.1),
    )
    summary = run_job(job, progress.append)
    for m in ("tags", "lyrics", "ids", "bio"):
        run = summary.modalities[m]
        assert run.done == 0 and run.left_pending == 1 and run.stopped.startswith("offline"), m
    assert any("offline, retrying" in p.message for p in progress)  # it waited before giving up
    for modality, kind in (("tags", "track"), ("lyrics", "track"), ("ids", "track"), ("bio", "artist")):
        rows = statuses(world.store, kind, modality)
        assert {r.status for r in rows.values()} == {"pending"}, modality  # never 'missing'
    art = statuses(world.store, "album", "art")  # no release MBIDs yet: known without asking anyone
    assert {(r.status, r.reason) for r in art.values()} == {("missing", "no release MBID for this album yet")}
    # The network is back: the next run fetches everything.
    summary = world.run()
    assert summary.modalities["tags"].ok == 3 and summary.modalities["lyrics"].done == 4
    assert {r.status for r in statuses(world.store, "track", "tags").values()} == {"ok", "missing"}


def test_offline_never_downgrades_a_stored_result(world):
    world.run(modalities=["tags"])
    dead = unused_port()
    cfg = ProviderConfig(
        lastfm_api_key=DEFAULT_API_KEY, lastfm_root=f"http://127.0.0.1:{dead}/2.0/", attempts=1, timeout=1.0
    )
    run_job(
        fetch_features(
            world.store, "alice", ["tags"], force=True, config=cfg, now=NOW, offline_patience_s=0.0
        )
    )
    assert {r.status for r in statuses(world.store, "track", "tags").values()} == {"ok", "missing"}


class Flaky:
    """Wraps a provider; ``fetch`` raises on some items (a bug), ``save`` on the n-th (the process dies)."""

    def __init__(self, inner, *, fetch_bug_at=(), die_at: int | None = None):
        self.inner, self.fetch_bug_at, self.die_at = inner, set(fetch_bug_at), die_at
        self.fetches = self.saves = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def fetch(self, item: Item, cancel=None) -> Outcome:
        self.fetches += 1
        if self.fetches in self.fetch_bug_at:
            raise KeyError("a provider bug")
        return self.inner.fetch(item, cancel)

    def save(self, conn, item, outcome, now):
        self.saves += 1
        if self.saves == self.die_at:
            raise SystemExit("simulated death")
        return self.inner.save(conn, item, outcome, now)


def test_death_mid_run_loses_nothing_and_the_rerun_only_fetches_the_rest(world):
    providers, _ = build_providers(world.config, ["lyrics"])
    with pytest.raises(SystemExit, match="simulated death"):
        world.run(providers=[Flaky(providers[0], die_at=3)], concurrent=False)
    assert (
        len(statuses(world.store, "track", "lyrics")) == 2
    )  # the first two were committed, the third rolled back
    world.lrc.clear_log()
    summary = world.run(modalities=["lyrics"])
    assert summary.modalities["lyrics"].due == 2
    fetched = {r.query.get("track_name") for r in world.lrc.requests}
    assert not (fetched & {"Reckoner", "Nude"})  # most played first: those were stored


def test_a_provider_bug_on_one_item_does_not_block_the_backlog(world, caplog, monkeypatch):
    providers, _ = build_providers(world.config, ["lyrics"])
    summary = world.run(providers=[Flaky(providers[0], fetch_bug_at={2})], concurrent=False)
    run = summary.modalities["lyrics"]
    assert run.done == 4 and run.error == 1 and run.stopped is None
    (bad,) = [r for r in statuses(world.store, "track", "lyrics").values() if r.status == "error"]
    assert bad.retryable and "internal error: KeyError" in bad.reason
    assert "a provider bug" in caplog.text  # logged with its traceback
    monkeypatch.setattr("core.features.fetch.MAX_INTERNAL_ERRORS", 2)
    providers, _ = build_providers(world.config, ["lyrics"])
    summary = world.run(
        providers=[Flaky(providers[0], fetch_bug_at=set(range(1, 10)))], concurrent=False, force=True
    )
    run = summary.modalities["lyrics"]
    assert run.error == 2 and run.stopped.startswith("2 internal errors in a row")  # a broken provider stops


def test_cancel_stops_after_the_current_item_and_resumes(world):
    token = CancelToken()
    seen = []

    def on_progress(p):
        seen.append(p)
        if sum(1 for x in seen if "→" in x.message) == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        run_job(
            fetch_features(
                world.store,
                "alice",
                ["tags", "lyrics"],
                cancel=token,
                config=world.config,
                now=NOW,
                concurrent=False,
            ),
            on_progress,
        )
    stored = len(statuses(world.store, "track", "tags")) + len(statuses(world.store, "track", "lyrics"))
    assert 2 <= stored <= 3
    rest = world.run(modalities=["tags", "lyrics"])
    assert rest.modalities["tags"].due + rest.modalities["lyrics"].due == 8 - stored


def test_limit_and_account_filter(world):
    summary = world.run(modalities=["ids"], limit=2)
    assert summary.modalities["ids"].due == 2
    assert statuses(world.store, "track", "ids").keys() == {
        items(world.store)["Reckoner"].id,
        items(world.store)["Nude"].id,
    }
    with pytest.raises(ValueError, match="no account"):
        run_job(fetch_features(world.store, "bob", config=world.config))


def test_missing_key_is_reported_not_fatal(world):
    cfg = ProviderConfig(lyrics_sources=[], music_folders=[])
    summary = run_job(
        fetch_features(world.store, "alice", config=cfg, now=NOW, modalities=["tags", "bio", "audio"])
    )
    assert summary.modalities == {}
    assert set(summary.skipped) == {"tags", "bio", "audio"}
    assert any("Last.fm API key" in n for n in summary.notes)


def test_config_from_settings_environment_and_keyring(monkeypatch, tmp_path):
    from core import secrets
    from core.features.providers import GENIUS_SECRET
    from core.settings import Settings

    settings = Settings(
        music_folder=f"{tmp_path}/a{os.pathsep}{tmp_path}/b",
        lyrics_providers=["local", "lrclib"],
        lastfm_api_key="k" * 32,
        lrclib_api_root="http://127.0.0.1:1/api/",
        feature_rates={"musicbrainz": 0.5},
        feature_max_age_days={"tags": 7},
    )
    monkeypatch.setenv("SEGUE_MUSICBRAINZ_ROOT", "http://127.0.0.1:2/ws/2/")
    secrets.set_secret(GENIUS_SECRET, "tok")
    cfg = ProviderConfig.from_settings(settings)
    assert cfg.lrclib_root == "http://127.0.0.1:1/api/" and cfg.musicbrainz_root == "http://127.0.0.1:2/ws/2/"
    assert cfg.coverart_root == "https://coverartarchive.org/" and cfg.lastfm_api_key == "k" * 32
    assert cfg.music_folders == [f"{tmp_path}/a", f"{tmp_path}/b"] and cfg.genius_token == "tok"
    assert cfg.rate("musicbrainz") == 0.5 and cfg.rate("lastfm") == 4.0
    assert FetchPolicy.from_settings(settings).max_age_s["tags"] == 7 * DAY
