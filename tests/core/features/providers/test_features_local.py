"""The user's music folder: scanning and matching, local lyrics (.lrc, ID3, Vorbis), audio analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from features_helpers import items, make_store, statuses
from mutagen.flac import FLAC
from mutagen.id3 import ID3, SYLT, TIT2, TPE1, USLT
from sqlalchemy import select

from core.features.fetch import fetch_features
from core.features.providers import ProviderConfig, build_providers
from core.features.providers.audio import LocalAudio
from core.features.providers.audio_analysis import analyse_signal, estimate_key, integrated_loudness
from core.features.providers.base import Item
from core.features.providers.library import MusicLibrary
from core.features.providers.local_lyrics import LocalLyricsSource, embedded_lyrics
from core.features.providers.rows import AUDIO_COLUMNS
from core.jobs import run_job
from core.store.schema import AudioFeatures, Lyrics

SR = 22_050


def note(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def music(seconds: float = 6.0, bpm: float = 120.0, chord=(60, 64, 67), amp: float = 0.1) -> np.ndarray:
    """A chord with a click on every beat, as (n, 2) float32."""
    t = np.arange(int(seconds * SR)) / SR
    y = sum(amp * np.sin(2 * np.pi * note(m) * t) for m in chord)
    step = int(SR * 60 / bpm)
    click = np.hanning(200) * 0.8 * np.sin(np.arange(200) * 0.9)
    for i in range(0, len(y) - 200, step):
        y[i : i + 200] += click
    return np.stack([y, y], axis=1).astype(np.float32)


def write_flac(
    path: Path, artist: str | None, title: str | None, lyrics: str | None = None, seconds: float = 6.0
) -> Path:
    sf.write(path, music(seconds), SR, format="FLAC")
    f = FLAC(path)
    if artist:
        f["artist"] = artist
    if title:
        f["title"] = title
    if lyrics:
        f["LYRICS"] = lyrics
    f.save()
    return path


def write_mp3(path: Path, artist: str, title: str, *, uslt: str | None = None, sylt=None) -> Path:
    sf.write(path, music(1.0), SR, format="MP3")
    tags = ID3()
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(TIT2(encoding=3, text=title))
    if uslt:
        tags.add(USLT(encoding=3, lang="eng", desc="", text=uslt))
    if sylt:
        tags.add(SYLT(encoding=3, lang="eng", format=2, type=1, text=sylt))
    tags.save(path)
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "Music"
    (root / "Sia" / "1000 Forms of Fear").mkdir(parents=True)
    (root / "misc").mkdir()
    write_flac(
        root / "Sia" / "1000 Forms of Fear" / "01 Chandelier.flac",
        "Sia",
        "Chandelier",
        lyrics="Party girls don't get hurt",
    )
    write_mp3(
        root / "misc" / "a.mp3", "Daft Punk", "Digital Love (feat. Nobody)", uslt="Last night I had a dream"
    )
    write_mp3(
        root / "misc" / "b.mp3",
        "Daft Punk",
        "One More Time",
        sylt=[("One more time", 12000), ("We're gonna celebrate", 15000)],
    )
    sf.write(root / "misc" / "Air - La Femme d'Argent.wav", music(1.0), SR)  # untagged: name gives the match
    (root / "misc" / "Air - La Femme d'Argent.lrc").write_text(
        "[ar: Air]\n[00:01.00]Instrumental hum\n", encoding="utf-8"
    )
    (root / "misc" / "notes.txt").write_text("not music")
    (root / "misc" / "broken.flac").write_bytes(b"fLaC\x00\x00garbage")
    return root


def test_scan_and_match(folder, tmp_path):
    lib = MusicLibrary([folder], tmp_path / "cache" / "lib.json")
    assert lib.scan() == 4  # the broken file is skipped, .txt is not audio
    assert lib.match(Item("track", 1, "sia", "CHANDELIER")).path.endswith("01 Chandelier.flac")
    assert lib.match(Item("track", 1, "Daft Punk", "Digital Love")) is not None  # feat. suffix folded
    assert lib.match(Item("track", 1, "Air", "La Femme d'Argent")) is not None
    assert lib.match(Item("track", 1, "Air", "Sexy Boy")) is None
    again = MusicLibrary([folder], tmp_path / "cache" / "lib.json")
    assert again.scan() == 4 and again.files[0].title  # from the cache


def test_embedded_and_sidecar_lyrics(folder):
    lib = MusicLibrary([folder])
    src = LocalLyricsSource(lib)
    assert src.fetch(Item("track", 1, "Sia", "Chandelier")).data["text"] == "Party girls don't get hurt"
    assert src.fetch(Item("track", 1, "Daft Punk", "Digital Love")).data["text"] == "Last night I had a dream"
    assert (
        src.fetch(Item("track", 1, "Daft Punk", "One More Time")).data["text"]
        == "One more time\nWe're gonna celebrate"
    )
    assert src.fetch(Item("track", 1, "Air", "La Femme d'Argent")).data["text"] == "Instrumental hum"
    assert src.fetch(Item("track", 1, "Air", "Sexy Boy")).kind == "missing"
    assert embedded_lyrics(folder / "misc" / "broken.flac") is None


def test_local_lyrics_through_the_backlog(folder, tmp_path):
    store = make_store(
        tmp_path,
        [("Sia", "Chandelier", "1000 Forms of Fear", 216_000), ("Air", "Sexy Boy", "Moon Safari", 298_000)],
    )
    cfg = ProviderConfig(
        music_folders=[str(folder)], lyrics_sources=["local"], library_cache=tmp_path / "l.json"
    )
    providers, skipped = build_providers(cfg, ["lyrics"])
    assert skipped == {}
    summary = run_job(fetch_features(store, "alice", ["lyrics"], providers=providers, concurrent=False))
    assert summary.modalities["lyrics"].ok == 1 and summary.modalities["lyrics"].missing == 1
    with store.session() as session:
        (lyr,) = session.scalars(select(Lyrics)).all()
    assert (lyr.text, lyr.provider, lyr.synced) == ("Party girls don't get hurt", "local", False)


def fake_analysis(path):
    if "broken" in str(path) or "Chandelier" not in str(path):
        raise RuntimeError("Error opening file: Format not recognised")
    return {"duration_ms": 6000.0, "loudness": -14.2, "tempo": 120.2, "key": 0.0, "mode": 1.0}


def test_audio_provider_statuses_and_nulls(folder, tmp_path):
    store = make_store(
        tmp_path,
        [
            ("Sia", "Chandelier", "1000 Forms of Fear", 216_000),
            ("Air", "Sexy Boy", "Moon Safari", 298_000),
            ("Air", "La Femme d'Argent", "Moon Safari", 428_000),
        ],
    )
    provider = LocalAudio(MusicLibrary([folder]), analyse=fake_analysis)
    summary = run_job(fetch_features(store, "alice", ["audio"], providers=[provider], concurrent=False))
    run = summary.modalities["audio"]
    assert (run.ok, run.missing, run.error) == (1, 1, 1)
    it = items(store)
    st = statuses(store, "track", "audio")
    assert st[it["Sexy Boy"].id].status == "missing"
    assert st[it["La Femme d'Argent"].id].status == "error" and not st[it["La Femme d'Argent"].id].retryable
    with store.session() as session:
        (row,) = session.scalars(select(AudioFeatures)).all()
    assert row.item_id == it["Chandelier"].id and row.provider == "librosa"
    assert (row.tempo, row.loudness, row.key, row.mode) == (120.2, -14.2, 0.0, 1.0)
    for col in set(AUDIO_COLUMNS) - {"tempo", "loudness", "key", "mode", "duration_ms"}:
        assert getattr(row, col) is None, col  # never computed, never zero


def test_no_music_folder_skips_audio_with_a_reason():
    providers, skipped = build_providers(ProviderConfig(), ["audio"])
    assert providers == [] and "music folder" in skipped["audio"]


def test_key_profiles_and_loudness_scale():
    chroma = np.zeros(12)
    chroma[[0, 4, 7]] = 1.0  # C E G
    assert estimate_key(chroma)[:2] == (0, 1)
    chroma = np.zeros(12)
    chroma[[9, 0, 4]] = 1.0
    chroma[8] = 0.4  # A C E + G#: A harmonic minor
    assert estimate_key(chroma)[:2] == (9, 0)
    assert estimate_key(np.ones(12))[:2] == (None, None)  # no tonal centre
    t = np.arange(5 * 48_000) / 48_000
    sine = 0.1 * np.sin(2 * np.pi * 1000 * t)
    # BS.1770: a 1 kHz sine at -20 dBFS peak in both channels measures about -20 LUFS.
    assert integrated_loudness(np.stack([sine, sine]), 48_000) == pytest.approx(-20.0, abs=0.3)
    assert integrated_loudness(np.zeros(48_000 * 2), 48_000) is None
    assert integrated_loudness(sine[:1000], 48_000) is None


@pytest.mark.slow
def test_real_analysis_of_a_synthetic_track(folder):
    """librosa end to end (the first run in a fresh environment JIT-compiles numba code: ~1 min)."""
    from core.features.providers.audio_analysis import analyse_file

    feats = analyse_file(folder / "Sia" / "1000 Forms of Fear" / "01 Chandelier.flac")
    assert feats["duration_ms"] == pytest.approx(6000, abs=50)
    assert feats["tempo"] == pytest.approx(120, rel=0.05)
    assert (feats["key"], feats["mode"]) == (0.0, 1.0)
    assert -25 < feats["loudness"] < -5
    silent = analyse_signal(np.zeros((2, SR * 3), dtype=np.float32))
    assert silent == {"duration_ms": 3000.0, "loudness": None, "tempo": None, "key": None, "mode": None}
