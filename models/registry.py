"""Model name → class. Every registered model is listed by ``segue eval --list``.

Modules register with ``@register`` at import; ``MODEL_MODULES`` lists the modules to import so
the registry is complete without importing torch until a torch model is actually used.
"""

from __future__ import annotations

import importlib
import logging

from models.base import ModelError, Recommender

MODEL_MODULES: list[str] = [
    # baselines and the app's default (models/baselines, models/hybrid)
    "models.baselines.popularity",
    "models.baselines.markov",
    "models.baselines.sknn",
    "models.baselines.item2vec",
    "models.hybrid.default",
    # other families: add your module here (one line each)
    "models.neural.ann",
    "models.neural.gru4rec",
    "models.neural.sasrec",
    "models.neural.bert4rec",
    "models.neural.transrec",
    "models.graph.ease",
    "models.graph.factor_models",
    "models.vae.multivae",
    "models.vae.macridvae",
    "models.vae.diffusion",
    "models.content.genre_model",
]

_REGISTRY: dict[str, type[Recommender]] = {}
_BROKEN: dict[str, str] = {}
_loaded = False
log = logging.getLogger(__name__)


def register(cls: type[Recommender]) -> type[Recommender]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"model name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all() -> None:
    """Import every model module once. A module that fails to import is reported by
    ``broken_modules()`` (and logged) instead of breaking every other model."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in MODEL_MODULES:
            try:
                importlib.import_module(module)
            except Exception as exc:  # noqa: BLE001 - one broken module must not hide the others
                _BROKEN[module] = f"{type(exc).__name__}: {exc}"
                log.warning("model module %s failed to import: %s", module, exc)


def broken_modules() -> dict[str, str]:
    """Model modules listed in MODEL_MODULES that failed to import, with the error."""
    _load_all()
    return dict(_BROKEN)


def model_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_model_class(name: str) -> type[Recommender]:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; `segue eval --list` shows the models") from None


def create(name: str, **params) -> Recommender:
    return get_model_class(name)(**params)


def load_features(engine, space, account: int | str | None = None):
    """Item features for ``space`` (``models.features.load_item_features``), for models whose
    ``uses_modalities`` is not empty (the evaluation runner and ``train_model`` call it)."""
    from models.features import load_item_features

    return load_item_features(engine, space, account=account)
