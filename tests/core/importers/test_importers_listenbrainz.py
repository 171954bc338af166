"""ListenBrainz export: the real export zip, the JSON-lines test data, malformed lines."""

from __future__ import annotations

import pytest
from importers_helpers import LB_TESTDATA, LB_ZIP, bad_rows, read_all, tally

from core.sources.importers import ImportFailure, expand
from core.sources.records import PlayRecord


def test_export_zip():
    (src,) = expand(LB_ZIP)
    name, records = read_all(src)
    assert name == "listenbrainz"
    assert tally(records) == {"play": 5}
    assert records[0] == PlayRecord(
        "OurR",
        "Desert",
        1749780612,
        "Desert",
        None,
        245000,
        "4b00640f-3be6-43f8-9b34-ff81bd89320a",
        "20d0530f-2176-447f-abf4-a9307f7d1c3f",
        "08e8f55b-f1a4-46b8-b2d1-fab4c592165c",
        1,
        "play",
        1,
    )
    two_artists = records[1]
    assert two_artists.artist == "Carly Rae Jepsen feat. Rufus Wainwright"
    assert two_artists.artist_mbid is None  # two credited artists: no single artist MBID


def test_jsonl_testdata():
    name, records = read_all(LB_TESTDATA / "listenbrainz_listens.jsonl")
    assert name == "listenbrainz"
    assert [(r.artist, r.track, r.album, r.played_at, r.duration_ms, r.line) for r in records] == [
        ("The Stranglers", "Golden Brown", "La Folie", 1748964167, 206760, 1),
        (
            "The Mamas & The Papas",
            "California Dreamin'",
            "If You Can Believe Your Eyes & Ears",
            1748967954,
            162373,
            2,
        ),
    ]


def test_truncated_last_line(tmp_path):
    data = (LB_TESTDATA / "listenbrainz_listens.jsonl").read_bytes()
    cut = tmp_path / "listens.jsonl"
    cut.write_bytes(data[: len(data) - 200])
    with pytest.raises(ImportFailure, match="invalid JSON") as exc:
        read_all(cut)
    assert exc.value.line == 2


def test_bad_listened_at(tmp_path):
    lines = (LB_TESTDATA / "listenbrainz_listens.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"listened_at": 1748967954', '"listened_at": "soon"')
    bad = tmp_path / "listens.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, records = read_all(bad)
    assert bad_rows(records) == [(2, "listened_at")]
