"""models.api is the interface the app and the CLI use: it implements ModelsInterface exactly, and its
answers are typed (model metadata, trained state)."""

from __future__ import annotations

from models import api
from models.registry import get_model_class, model_names


def test_the_module_implements_its_protocol():
    assert api.interface_mismatches(api) == []


def test_a_changed_signature_is_caught():
    class Wrong:
        def recommend(self, store, account_id: int, k: int = 20):  # an id instead of a name
            return []

    problems = api.interface_mismatches(Wrong())
    assert any(p.startswith("recommend(") for p in problems)
    assert "train: missing" in problems


def test_list_models_describes_every_registered_model():
    infos = api.list_models()
    assert [i.name for i in infos] == model_names()
    for info in infos:
        k = get_model_class(info.name)
        assert (info.description, info.family, info.deterministic) == (
            k.description,
            k.family,
            k.deterministic,
        )
    assert api.unavailable() == {}
