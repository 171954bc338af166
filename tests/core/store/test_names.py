"""Names any export may hold are stored the same way on every engine (real rows, hostile names)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from testpaths import LISTENING

from core.jobs import run_job
from core.sources.importing import import_files
from core.store.queries import account_by_name
from core.store.schema import Artist, Track

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
FELHAG = LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json"


def _rows(n: int) -> list[str]:
    return ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[: n + 1]


def _write(tmp_path, lines: list[str], name: str = "export.csv"):
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.engines
def test_nul_long_and_odd_names_import_on_every_engine(store, tmp_path, shared):
    data = json.loads(FELHAG.read_text(encoding="utf-8"))
    data["scrobbles"] = data["scrobbles"][:30]
    first = data["scrobbles"]
    first[0]["artist"] = first[0]["artist"][:3] + "\x00" + first[0]["artist"][3:]  # "\u0000" in the JSON
    first[1]["track"] = "Me and My Woman " * 625  # 10,000 characters
    first[2]["album"] = "A" * 3000
    path = tmp_path / "lastfmstats-names.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "\\u0000" in path.read_text(encoding="utf-8")
    report = run_job(import_files(store, [path], "names"))
    assert report.ok, [str(f) for f in report.failures]
    assert report.files[0].added + report.files[0].duplicates == 30
    with store.engine.connect() as conn:
        artists = {n for (n,) in conn.execute(select(Artist.name))}
        long_track = conn.execute(
            select(Track.name, Track.name_key).where(Track.name.like("Me and My Woman Me%"))
        ).one()
    assert not any("\x00" in a for a in artists)
    assert first[0]["artist"].replace("\x00", "") in artists  # stored as given, less the NUL
    assert len(long_track.name) == 10_000 - 1 and len(long_track.name_key) < 300  # name kept, key bounded


@pytest.mark.engines
def test_garbage_ids_and_counts_are_unknown_not_a_crash(store, tmp_path, shared):
    lines = _rows(10)
    lines[3] = lines[3].replace(
        '"8fc0c1d2-9be0-464f-98ee-ae7ae5b0086b"', '"never-gonna-give-you-up-' + "x" * 40 + '"', 1
    )
    report = run_job(import_files(store, [_write(tmp_path, lines)], "ids"))
    assert report.ok and report.files[0].added == 10
    with store.engine.connect() as conn:
        mbids = {m for (m,) in conn.execute(select(Artist.mbid))}
    assert all(m is None or len(m) == 36 for m in mbids)  # the 64-character "MBID" was dropped


@pytest.mark.engines
def test_apostrophe_quote_and_dash_variants_are_one_artist_and_track(store, tmp_path, shared):
    lines = _rows(20)
    for i in range(1, 21, 2):  # every other play with typographic punctuation, as another client writes it
        lines[i] = (
            lines[i]
            .replace("Hors D'Oeuvres", "Hors D\u2019Oeuvres")
            .replace('"Roy Harper"', '"Roy\u00a0Harper"')
        )
    report = run_job(import_files(store, [_write(tmp_path, lines)], "v"))
    assert report.ok
    with store.engine.connect() as conn:
        harper = conn.execute(select(Artist.id, Artist.name).where(Artist.name_key == "roy harper")).all()
        hors = conn.execute(select(Track.name).where(Track.name_key == "hors d'oeuvres")).all()
    assert len(harper) == 1 and len(hors) == 1  # one artist, one track, named as first seen
    assert account_by_name(store.engine, "v").plays == 20


@pytest.mark.engines
def test_an_account_name_over_200_characters_is_refused_on_every_engine(store, shared):
    from core.sources.records import ImportFailure

    with pytest.raises(ImportFailure, match="at most 200"):
        run_job(import_files(store, [ALEEX], "a" * 300))
    assert account_by_name(store.engine, "a" * 300) is None
