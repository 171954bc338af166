"""Migration 0004_name_keys on a store written under the old matching rules: variants merge safely."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.normalize import artist_key, track_key
from core.store.engine import create_store_engine, migrate

# Spellings seen in real exports: U+2019 vs ASCII apostrophe, en dash vs hyphen, NBSP vs space.
OLD = [
    # id, artist name, old key (lowercased, as the old rules made it)
    (1, "The Wailin' Jennys", "the wailin' jennys"),
    (2, "The Wailin\u2019 Jennys", "the wailin\u2019 jennys"),
    (3, "Roy Harper", "roy harper"),
]


def _old_store(url: str):
    engine = create_store_engine(url)
    migrate(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (id, name, kind, created_at) VALUES (1, 'me', 'local', 0), (2, 'you', 'local', 0)"
            )
        )
        for aid, name, key in OLD:
            conn.execute(
                text("INSERT INTO artist (id, name, name_key) VALUES (:i, :n, :k)"),
                {"i": aid, "n": name, "k": key},
            )
        conn.execute(
            text(
                "INSERT INTO album (id, artist_id, name, name_key, mbid) VALUES "
                "(10, 1, 'Firecracker', 'firecracker', NULL), (11, 2, 'Firecracker', 'firecracker', "
                "'2c4e3f9e-0000-4000-8000-000000000011')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO track (id, artist_id, album_id, name, name_key, duration_ms, mbid) VALUES "
                "(20, 1, 10, 'One Voice', 'one voice', NULL, NULL), "
                "(21, 2, 11, 'One Voice', 'one voice', 215000, 'a1b2c3d4-0000-4000-8000-000000000021'), "
                "(22, 3, NULL, 'Hors D\u2019Oeuvres \u2013 Live', 'hors d\u2019oeuvres \u2013 live', NULL, NULL), "
                "(23, 3, NULL, 'Hors D''Oeuvres - Live', 'hors d''oeuvres - live', NULL, NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scrobble (account_id, track_id, album_id, played_at, source, precision_s) VALUES "
                "(1, 20, 10, 1600000000, 'a', 1), (1, 21, 11, 1600000000, 'b', 1), "  # the same play twice
                "(1, 21, 11, 1600000500, 'b', 1), (2, 21, 11, 1600000000, 'b', 1), "
                "(1, 22, NULL, 1600001000, 'a', 1), (1, 23, NULL, 1600002000, 'a', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO lyrics (track_id, text, synced, provider, fetched_at) VALUES "
                "(20, 'first', false, 'x', 0), (21, 'second', false, 'x', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO feature_status (item_kind, item_id, modality, status, attempts) VALUES "
                "('artist', 1, 'tags', 'ok', 1), ('artist', 2, 'tags', 'missing', 1), "
                "('artist', 2, 'bio', 'ok', 1), ('track', 21, 'lyrics', 'ok', 1)"
            )
        )
        conn.execute(
            text("INSERT INTO feedback (account_id, track_id, kind, created_at) VALUES (1, 21, 'like', 0)")
        )
    return engine


@pytest.mark.engines
def test_variants_merge_into_the_oldest_row(engine_url):
    engine = _old_store(engine_url)
    migrate(engine)
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        assert q("SELECT id, name, name_key FROM artist ORDER BY id") == [
            (1, "The Wailin' Jennys", artist_key("The Wailin\u2019 Jennys")),
            (3, "Roy Harper", "roy harper"),
        ]
        assert q("SELECT id, artist_id, mbid FROM album") == [(10, 1, "2c4e3f9e-0000-4000-8000-000000000011")]
        assert q("SELECT id, artist_id, album_id, duration_ms, mbid FROM track ORDER BY id") == [
            (20, 1, 10, 215000, "a1b2c3d4-0000-4000-8000-000000000021"),
            (22, 3, None, None, None),
        ]
        assert q("SELECT name_key FROM track WHERE id = 22") == [(track_key("Hors D'Oeuvres - Live"),)]
        # the same play of two spellings is one play; the other plays moved over
        assert q(
            "SELECT account_id, track_id, album_id, played_at FROM scrobble ORDER BY account_id, played_at"
        ) == [
            (1, 20, 10, 1600000000),
            (1, 20, 10, 1600000500),
            (1, 22, None, 1600001000),
            (1, 22, None, 1600002000),
            (2, 20, 10, 1600000000),
        ]
        assert q("SELECT track_id, text FROM lyrics") == [(20, "first")]
        assert q(
            "SELECT item_kind, item_id, modality, status FROM feature_status ORDER BY item_kind, modality"
        ) == [
            ("artist", 1, "bio", "ok"),
            ("artist", 1, "tags", "ok"),
            ("track", 20, "lyrics", "ok"),
        ]
        assert q("SELECT track_id FROM feedback") == [(20,)]
    engine.dispose()
