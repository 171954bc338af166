"""Typed settings: declared once with default and range; old settings.json files migrate; bad values
fall back or clamp; unknown keys survive a save; the Settings page is built from the table."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from core.settings import SECTIONS, Settings, on_page, spec_of


def test_every_setting_has_a_spec_and_a_valid_default():
    for f in fields(Settings):
        if f.name == "kept":
            continue
        spec = f.metadata["spec"]
        assert spec.label, f.name
        assert spec.section is None or spec.section in SECTIONS, f.name
    assert Settings() == Settings.from_json(Settings().to_json())
    assert {n for s in SECTIONS for n in on_page(s)} >= {
        "session_gap_minutes",
        "database_url",
        "music_folder",
    }


def test_an_old_file_with_extra_keys_migrates_into_typed_fields(tmp_path):
    old = {
        "session_gap_minutes": 90,
        "theme": "dark",
        "extra": {
            "lift": 0.6,
            "explore": "0.25",  # a string where a number belongs: cast
            "database_url": "sqlite:////tmp/x.sqlite",
            "demo_imported": True,
            "spotify_redirect_port": None,  # the old page stored None for "any free port"
            "feature_interval_minutes": 30,
            "feature_rates": {"musicbrainz": "0.5"},
            "from_the_future": {"a": 1},
        },
        "another_unknown": 3,
    }
    Settings.path().write_text(json.dumps(old), encoding="utf-8")
    s = Settings.load()
    assert (s.session_gap_minutes, s.theme, s.lift, s.explore) == (90, "dark", 0.6, 0.25)
    assert s.database_url == "sqlite:////tmp/x.sqlite" and s.demo_imported is True
    assert s.spotify_redirect_port == 0 and s.feature_interval_minutes == 30
    assert s.feature_rates == {"musicbrainz": 0.5}
    s.save()
    saved = json.loads(Settings.path().read_text(encoding="utf-8"))
    assert "extra" not in saved and saved["lift"] == 0.6
    assert saved["from_the_future"] == {"a": 1} and saved["another_unknown"] == 3  # kept, not lost
    assert Settings.load() == s


def test_values_are_checked_on_load_and_on_update():
    s = Settings.from_json(
        {"session_gap_minutes": 1, "lift": 7, "theme": "purple", "retrain_after_plays": "x"}
    )
    assert s.session_gap_minutes == spec_of("session_gap_minutes").minimum == 5  # clamped
    assert s.lift == 1.0 and s.theme == "system" and s.retrain_after_plays == 500  # clamped, default, default
    s.update(explore=-3, lyrics_providers=["local", "nonsense"])
    assert s.explore == 0.0 and s.lyrics_providers == ["local"]
    with pytest.raises(AttributeError, match="no setting named 'liftt'"):
        s.update(liftt=0.5)


def test_a_damaged_file_gives_the_defaults():
    Settings.path().write_text("{not json", encoding="utf-8")
    assert Settings.load() == Settings()
