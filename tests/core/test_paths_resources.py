"""core.paths.resource(): one lookup that works in a checkout/venv, an installed wheel and the bundle."""

from __future__ import annotations

import sys

import pytest

from core import paths


@pytest.fixture(autouse=True)
def _fresh_lookup():
    paths.resources_root.cache_clear()
    yield
    paths.resources_root.cache_clear()


def make_resources(folder):
    (folder / "themes").mkdir(parents=True)
    (folder / paths.MARKER).write_text("/* */", encoding="utf-8")
    (folder / "themes" / "light.qss").write_text("/* */", encoding="utf-8")
    return folder


def test_checkout_finds_the_repository_resources():
    assert paths.resource("themes", "light.qss").is_file()
    assert paths.resource("demo", "spotify-demo.zip").is_file()


def test_the_bundle_wins_when_frozen(tmp_path, monkeypatch):
    bundle = make_resources(tmp_path / "_internal" / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert paths.resource("themes", "light.qss") == bundle / "themes" / "light.qss"


def test_an_installed_wheel_finds_its_data_files(tmp_path, monkeypatch):
    """A wheel installs resources/ as data files under <prefix>/share/segue/resources (pyproject)."""
    monkeypatch.setattr(paths, "RESOURCES", tmp_path / "site-packages" / "resources")  # not there
    installed = make_resources(tmp_path / "share" / "segue" / "resources")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert paths.resource("themes", "light.qss") == installed / "themes" / "light.qss"


def test_no_resources_anywhere_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESOURCES", tmp_path / "nowhere")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="resources folder is missing"):
        paths.resource("themes", "light.qss")
