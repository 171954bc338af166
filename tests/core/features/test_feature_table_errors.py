"""Bad tables: one clear line naming file, line and column; exit code 2; the store unchanged."""

from __future__ import annotations

import pytest
from featurestore_helpers import MUSICOSET_LYRICS
from sqlalchemy import func, select

from core.cli import main
from core.features.tables import TableError, import_table
from core.jobs import run_job
from core.store.schema import AudioFeatures, FeatureStatus


def _cli(erz_store, *args) -> int:
    return main(["--db", erz_store.url, "features", "import", *map(str, args)])


@pytest.mark.parametrize(
    ("content", "kind", "expected"),
    [
        ("name,tempo\nA,120\n", "audio", "bad.csv, line 1: no artist column"),
        ("artist,title\nGwen Stefani,Cool\n", "audio", "bad.csv, line 1: no audio feature columns"),
        (
            "artist,title,tempo\nGwen Stefani,Cool,120\nGwen Stefani,Hey,fast\n",
            "audio",
            "bad.csv, line 3, field 'tempo': not a number: 'fast'",
        ),
        (
            "artist,title,danceability\nGwen Stefani,Cool,57\n",
            "audio",
            "bad.csv, line 2, field 'danceability': danceability 57 outside 0..1",
        ),
        (
            "artist,title,tempo,energy\nGwen Stefani,Cool,120\n",
            "audio",
            "bad.csv, line 2: 3 columns, header has 4",
        ),
        ("artist,title\nGwen Stefani,Cool\n", "lyrics", "bad.csv, line 1: no lyrics column"),
        (
            "artist,title,tag,weight\nGwen Stefani,Cool,pop,lots\n",
            "tags",
            "bad.csv, line 2, field 'weight': not a number: 'lots'",
        ),
    ],
)
def test_bad_table_names_file_line_column(erz_store, tmp_path, capsys, content, kind, expected):
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    assert _cli(erz_store, bad, "--kind", kind) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"segue: {expected}"), err
    assert len(err.splitlines()) == 1


def test_a_bad_row_late_in_a_table_changes_nothing(erz_store, tmp_path):
    rows = "".join(f"Gwen Stefani,Cool,{100 + i}\n" for i in range(50))
    bad = tmp_path / "late.csv"
    bad.write_text("artist,title,tempo\n" + rows + "Gwen Stefani,Cool,-5\n", encoding="utf-8")
    with pytest.raises(TableError) as info:
        run_job(import_table(erz_store, bad, "audio"))
    assert (info.value.line, info.value.field) == (52, "tempo")
    with erz_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AudioFeatures)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(FeatureStatus)).scalar_one() == 0


def test_truncated_real_table_is_reported(erz_store, capsys):
    # MusicOSet's lyrics.csv as committed upstream: 931 rows, the last one cut off mid-string
    assert _cli(erz_store, MUSICOSET_LYRICS, "--kind", "lyrics") == 2
    err = capsys.readouterr().err
    assert "lyrics.TRUNCATED_931rows.csv, line" in err and "ends inside a quoted field" in err


def test_missing_file_and_wrong_kind_for_hetrec(erz_store, tmp_path, capsys):
    assert _cli(erz_store, tmp_path / "nope.csv", "--kind", "audio") == 2
    assert "no such file" in capsys.readouterr().err
    from featurestore_helpers import HETREC

    assert _cli(erz_store, HETREC, "--kind", "audio") == 2
    assert "HetRec 2011 holds tags, not audio" in capsys.readouterr().err


def test_unknown_account_is_a_user_error(erz_store, tmp_path, capsys):
    ok = tmp_path / "ok.csv"
    ok.write_text("artist,title,tempo\nGwen Stefani,Cool,120\n", encoding="utf-8")
    assert _cli(erz_store, ok, "--kind", "audio", "--account", "nobody") == 2
    assert "no account named 'nobody'" in capsys.readouterr().err
