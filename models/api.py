"""What ``models/`` offers the app and the CLI: train, suggestions, recommend, explore, evaluate, list.

Import this module and call it; do not probe it. ``ModelsInterface`` is the same interface as a
Protocol: this module satisfies it (``tests/models/test_api.py`` checks every signature), and so must
any stand-in a test puts in its place (``tests/app/fake_models.py``), so a changed signature fails
the tests loudly instead of being papered over.

- ``train`` is a job (generator of ``Progress``, cancellable) returning a ``TrainResult``; it saves the
  model under ``model_dir(account, model)`` and records a ``model_run`` row. ``model="discovery"``
  trains the discovery ranker on the account's catalogue (``models.discovery.service``), so the one
  ``train`` job serves both.
- ``recommend`` / ``explore`` return ``Recommendation``s (track id, score, reason in plain words,
  ``new_to_user``, ``evidence``): the model's ranking, and tracks new to the listener — the discovery
  ranker's over the account's catalogue (without a catalogue: this computer's other accounts).
  Accounts with fewer than two plays get what is popular on this computer.
- ``suggestions`` returns a ``Pool``: both streams (continuation and discovery) with what the served
  list's rules need, feedback from the store applied; ``Pool.serve(steering, rules)`` makes the
  "Up next" and "New to you" lists the app and ``segue recommend`` show.
- ``evaluate`` is the job behind ``segue eval`` (docs/architecture.md §8) returning the results document.
- ``list_models`` describes every registered model; ``unavailable`` names model modules that failed
  to import; ``is_trained`` says whether a model is on disk for an account.

Every user-facing problem is a ``ModelError`` whose message says what to do.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.jobs import CancelToken, Progress
from core.sessions import DEFAULT_GAP_S
from core.store.engine import Store
from models.artefacts import DEFAULT_MODEL, is_trained, model_dir
from models.base import Evidence, ModelError, ModelOutdated, Recommendation
from models.evaluation.runner import run_evaluation
from models.registry import broken_modules, get_model_class, model_names
from models.serving.explore import CATALOGUE, DISCOVERY_MODEL
from models.serving.recommend import explore_for, recommend_for
from models.serving.served import Rules
from models.serving.suggest import Pool, rules_of, suggest
from models.steering import Steering
from models.training import TrainResult, plain, train_model


@dataclass(frozen=True)
class ModelInfo:
    """What the Models page and ``segue eval --list`` show about a registered model."""

    name: str
    description: str
    family: str  # baseline | neural | vae | content | hybrid | graph
    uses_modalities: tuple[str, ...] = ()
    deterministic: bool = False  # results do not depend on the seed


def list_models() -> list[ModelInfo]:
    """Every registered model, by name."""
    out = []
    for name in model_names():
        k = get_model_class(name)
        out.append(ModelInfo(name, k.description, k.family, tuple(k.uses_modalities), k.deterministic))
    return out


def unavailable() -> dict[str, str]:
    """Model modules that failed to import (module → error), so a page can say what is missing."""
    return broken_modules()


def train(
    store: Store,
    account: str,
    model_name: str = DEFAULT_MODEL,
    seed: int = 0,
    *,
    gap_s: int = DEFAULT_GAP_S,
    cancel: CancelToken | None = None,
    params: dict | None = None,
    fine_tune_below: float | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Fit ``model_name`` on all of ``account``'s plays and save it (see the module docstring;
    ``fine_tune_below``: ``models.finetune``'s threshold, None for the setting's)."""
    if model_name != DISCOVERY_MODEL:
        return (
            yield from train_model(
                store,
                account,
                model_name,
                seed,
                gap_s=gap_s,
                cancel=cancel,
                params=params,
                fine_tune_below=fine_tune_below,
            )
        )
    from models.discovery.service import train_discovery

    done = yield from train_discovery(store, account, seed, cancel=cancel)
    return TrainResult(
        account,
        model_name,
        seed,
        done["plays"],
        done["train_seconds"],
        done["artefact"],
        plain(done["params"]),
    )


recommend = recommend_for
explore = explore_for
evaluate = run_evaluation
suggestions = suggest


class ModelsInterface(Protocol):
    """The interface above as a Protocol (this module implements it; so must test stand-ins)."""

    def train(
        self,
        store: Store,
        account: str,
        model_name: str = DEFAULT_MODEL,
        seed: int = 0,
        *,
        gap_s: int = DEFAULT_GAP_S,
        cancel: CancelToken | None = None,
        params: dict | None = None,
        fine_tune_below: float | None = None,
    ) -> Generator[Progress, None, TrainResult]: ...

    def recommend(
        self,
        store: Store,
        account: str,
        k: int = 20,
        *,
        exclude: Sequence[int] = (),
        boost: Sequence[int] = (),
        model: str = DEFAULT_MODEL,
        gap_s: int = DEFAULT_GAP_S,
        train_if_missing: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[Recommendation]: ...

    def explore(
        self,
        store: Store,
        account: str,
        k: int = 20,
        *,
        exclude: Sequence[int] = (),
        model: str = DEFAULT_MODEL,
        gap_s: int = DEFAULT_GAP_S,
        train_if_missing: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[Recommendation]: ...

    def suggestions(
        self,
        store: Store,
        account: str,
        *,
        model: str = DEFAULT_MODEL,
        gap_s: int = DEFAULT_GAP_S,
        train_if_missing: bool = True,
        cancel: CancelToken | None = None,
    ) -> Pool: ...

    def evaluate(
        self,
        store: Store,
        accounts: Sequence[str],
        models: Sequence[str],
        seeds: Sequence[int] = (1, 2, 3),
        *,
        isolate: bool = False,
        cancel: CancelToken | None = None,
        upto: float | None = None,
    ) -> Generator[Progress, None, dict]: ...

    def list_models(self) -> list[ModelInfo]: ...

    def unavailable(self) -> dict[str, str]: ...

    def is_trained(self, account: str, model: str = DEFAULT_MODEL) -> bool: ...


def interface_mismatches(impl: object) -> list[str]:
    """Members of ``ModelsInterface`` that ``impl`` (this module, or a test's stand-in) lacks or declares
    with another signature (parameter names, kinds, defaults, annotations); empty when it conforms."""
    import inspect

    out = []
    for name, member in vars(ModelsInterface).items():
        if name.startswith("_") or not callable(member):
            continue
        want = inspect.signature(member)
        want = want.replace(parameters=list(want.parameters.values())[1:])  # without ``self``
        got = getattr(impl, name, None)
        if got is None:
            out.append(f"{name}: missing")
        elif inspect.signature(got) != want:
            out.append(f"{name}{inspect.signature(got)} is not {name}{want}")
    return out


__all__ = [
    "CATALOGUE",
    "DEFAULT_MODEL",
    "DISCOVERY_MODEL",
    "Evidence",
    "ModelError",
    "ModelInfo",
    "ModelOutdated",
    "ModelsInterface",
    "Pool",
    "Recommendation",
    "Rules",
    "Steering",
    "TrainResult",
    "evaluate",
    "explore",
    "interface_mismatches",
    "is_trained",
    "list_models",
    "model_dir",
    "recommend",
    "rules_of",
    "suggestions",
    "train",
    "unavailable",
]
