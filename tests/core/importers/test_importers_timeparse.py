"""Timestamp text forms seen in the real exports (values taken from them)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from core.sources.importers.timeparse import kind_of, parse_any, parse_iso, parse_lastfm_text, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1771761015", (1771761015, 1)),  # ghan uts
        ("1108290000000", (1108290000, 1)),  # lastfmstats ms
        ("1749780613.952448", (1749780613, 1)),  # ListenBrainz inserted_at
        ("0", (0, 1)),  # krishkumar: passed through
        ("2025-01-01T10:06:20Z", (1735725980, 1)),  # Spotify extended ts
        ("2009-05-04T23:08:57Z", (1241478537, 1)),  # Last.fm-1K
        ("2025-08-16 11:45:00", (1755344700, 1)),  # dudu2i3 played_at
        ("2021-04-22 05:41", (1619070060, 60)),  # Spotify basic endTime
        ("2025-08-16", (1755302400, 86400)),
        ("2025-01-01T12:06:20+02:00", (1735725980, 1)),
        ("2025-01-01T10:06:20.750Z", (1735725980, 1)),
        ("24 Jan 2023, 09:42", (1674553320, 60)),  # djivs / ghan utc_time
        ("24 Jan 2023 09:42", (1674553320, 60)),  # benjaminbenben
        ("4 September 2025 09:42", (1756978920, 60)),
    ],
)
def test_parse_any(text, expected):
    assert parse_any(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2025-13-01 00:00",
        "2025-01-01 24:00:00",
        "32 Jan 2023, 09:42",
        "24 Jnx 2023, 09:42",
        "nan",
        "1e400",
    ],
)
def test_parse_any_rejects(text):
    with pytest.raises(ValueError):
        parse_any(text)


def test_naive_text_in_a_zone_follows_dst():
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_iso("2025-08-16 11:45:00", berlin)[0] == 1755344700 - 2 * 3600
    assert parse_iso("2025-01-16 11:45:00", berlin)[0] == parse_iso("2025-01-16 11:45:00")[0] - 3600
    assert parse_lastfm_text("24 Jan 2023, 09:42", berlin) == (1674553320 - 3600, 60)
    assert parse_iso("2025-01-01T10:06:20Z", berlin) == (1735725980, 1)  # explicit Z wins


def test_number_units():
    assert parse_number("1749780612") == (1749780612, 1)
    assert parse_number("1749780612000") == (1749780612, 1)
    assert parse_number("1749780612000000") == (1749780612, 1)


def test_kind_of():
    assert [
        kind_of(v)
        for v in (
            "1536407564",
            "2018-09-08 11:52:44",
            "2021-04-22 05:41",
            "2025-08-16",
            "24 Jan 2023, 09:42",
            "Hawaii",
            "",
        )
    ] == ["number", "iso", "iso", "date", "lastfm", None, None]
