"""Model commands: ``segue train``, ``segue recommend``, ``segue eval`` (composed by app/__main__.py).

- ``segue train --account NAME [--model default] [--seed N] [--json]``
- ``segue recommend --account NAME [-k 10] [--explore] [--json]`` — the served list (feedback applied)
- ``segue eval --account NAME [--account NAME2 ...|all] --models a,b,...|all [--seeds 1,2,3]
  [--json OUT.json] [--isolate] [--real]`` — the protocol of docs/architecture.md §8; ``all`` accounts means
  every account in the store (with ``--real``: every real listener with ≥ 5,000 plays in the cached
  store of ../shared histories). ``--json -`` prints the document instead of the table.
- ``segue eval --list`` lists the registered models.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.cli import CliError, clear_progress, print_json, progress_printer


def register(sub: argparse._SubParsersAction) -> None:
    from models.jobs import register_model_jobs

    register_model_jobs()  # `segue jobs run train` and the schedule's retrain find the model jobs
    p = sub.add_parser("train", help="train a recommender for an account")
    p.add_argument("--account", "-a", required=True, help="account name")
    p.add_argument("--model", default="default", help="model name (default: default; `segue eval --list`)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_train)

    p = sub.add_parser("recommend", help="suggest the next tracks for an account")
    p.add_argument("--account", "-a", required=True, help="account name")
    p.add_argument("-k", type=int, default=10, help="how many suggestions (default 10)")
    p.add_argument("--explore", action="store_true", help="the New to you list instead of Up next")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_recommend)

    p = sub.add_parser("eval", help="evaluate recommenders on held-out listening (docs/architecture.md §8)")
    p.add_argument(
        "--account",
        "-a",
        action="append",
        default=[],
        help="account to evaluate (repeat for several; 'all' for every account)",
    )
    p.add_argument("--models", default="", help="comma-separated model names, or 'all'")
    p.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    p.add_argument(
        "--json", dest="json_out", metavar="OUT.json", help="write the results document ('-': stdout)"
    )
    p.add_argument(
        "--isolate", action="store_true", help="run each model in its own process (clean memory figures)"
    )
    p.add_argument(
        "--real",
        action="store_true",
        help="use the real listening histories in ../shared (cached store) instead of --db",
    )
    p.add_argument("--list", action="store_true", help="list the registered models and exit")
    p.set_defaults(handler=run_eval)


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise CliError(f"{what} must be comma-separated integers, got {text!r}", 2) from None


def run_train(ctx) -> int:
    from core.jobs import Cancelled, run_job
    from models import api

    args = ctx.args
    ctx.account_id(args.account)
    try:
        result = run_job(
            api.train(ctx.store, args.account, args.model, args.seed), progress_printer(not args.json)
        )
    except api.ModelError as exc:
        raise CliError(str(exc), 2) from None
    except Cancelled:
        raise CliError("training cancelled", 130) from None
    clear_progress(not args.json)
    if args.json:
        print_json(result.to_json())
    else:
        print(
            f"trained {result.model} for {result.account} on {result.plays:,} plays in {result.train_seconds:.1f} s "
            f"→ {result.artefact}"
        )
    return 0


def run_recommend(ctx) -> int:
    """The served list, as the Suggestions page shows it: "Up next" (or "New to you" with --explore),
    the user's feedback applied (a dismissed track never comes back, a liked one rises) and the served
    list's rules and the familiar ↔ explore / lift controls as saved in the settings."""
    from dataclasses import asdict, replace

    from core.settings import Settings
    from core.store.queries import track_info
    from models import api
    from models.serving.suggest import rules_of
    from models.steering import Steering

    args = ctx.args
    _train_discovery_if_missing(ctx, args.account, ctx.account_id(args.account))
    try:
        pool = api.suggestions(ctx.store, args.account)
    except api.ModelError as exc:
        raise CliError(str(exc), 2) from None
    settings = Settings.load()
    rules = replace(rules_of(settings), top=max(1, args.k))
    steering = Steering.from_slider(settings.explore, settings.lift)
    served = pool.serve(steering, rules, new_to_you=max(1, args.k))
    recs = served.new_to_you if args.explore else served.main
    info = track_info(ctx.store.engine, [r.track_id for r in recs])
    rows = []
    for r in recs:
        t = info.get(r.track_id)
        evidence = {k: v for k, v in asdict(r.evidence).items() if v not in (None, "")} if r.evidence else {}
        rows.append(
            {
                "track_id": r.track_id,
                "track": t.name if t else None,
                "artist": t.artist if t else None,
                "score": round(r.score, 6),
                "reason": r.reason,
                "new_to_user": r.new_to_user,
                "evidence": evidence,
            }
        )
    if args.json:
        print_json(
            {
                "account": args.account,
                "list": "new to you" if args.explore else "up next",
                "suggestions": rows,
            }
        )
        return 0
    if not rows:
        print("no suggestions yet")
    for i, row in enumerate(rows, 1):
        print(f"{i:3d}. {row['track']} — {row['artist']}\n     {row['reason']}")
    return 0


def _train_discovery_if_missing(ctx, account: str, account_id: int) -> None:
    """A catalogue but no discovery ranker: train it first through the ``train`` job (as the app's
    Suggestions page does in the background), so "New to you" comes from the catalogue."""
    from core.commands.common import run_train
    from models.artefacts import is_trained
    from models.discovery.service import has_catalogue
    from models.serving.explore import DISCOVERY_MODEL

    if not is_trained(account, DISCOVERY_MODEL) and has_catalogue(ctx.store.engine, account_id):
        run_train(ctx, account, DISCOVERY_MODEL, "the discovery ranker")


def run_eval(ctx) -> int:
    from core.jobs import Cancelled, run_job
    from models import api

    args = ctx.args
    if args.list:
        for info in api.list_models():
            print(f"{info.name:24s} {info.family:9s} {info.description}")
        for module, error in api.unavailable().items():
            print(f"(not available: {module}: {error})", file=sys.stderr)
        return 0
    if not args.account:
        raise CliError("say which accounts: --account NAME (repeatable) or --account all", 2)
    if not args.models:
        raise CliError("say which models: --models a,b,... or --models all (see `segue eval --list`)", 2)
    known = [info.name for info in api.list_models()]
    models = (
        known if args.models.strip() == "all" else [m.strip() for m in args.models.split(",") if m.strip()]
    )
    for m in models:
        if m not in known:
            raise CliError(f"unknown model {m!r}; `segue eval --list` shows the models", 2)
    seeds = _ints(args.seeds, "--seeds")
    if not seeds:
        raise CliError("--seeds needs at least one seed", 2)
    store = _eval_store(ctx)
    accounts = _accounts(ctx, store, args.account)
    try:
        doc = run_job(
            api.evaluate(store, accounts, models, seeds, isolate=args.isolate),
            progress_printer(args.json_out != "-"),
        )
    except Cancelled:
        raise CliError("evaluation cancelled", 130) from None
    clear_progress()
    if args.json_out == "-":
        print_json(doc)
    else:
        if args.json_out:
            with open(args.json_out, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, ensure_ascii=False)
        _print_tables(doc)
    for err in doc["errors"]:
        print(f"segue: {err['account']} / {err['model']}: {err['error']}", file=sys.stderr)
    return 0 if doc["results"] or not doc["errors"] else 1


def _eval_store(ctx):
    if not ctx.args.real:
        return ctx.store
    from models.evaluation.datasets import dataset_store

    try:
        return dataset_store()
    except FileNotFoundError as exc:
        raise CliError(str(exc), 2) from None


def _accounts(ctx, store, wanted: list[str]) -> list[str]:
    from core.store.queries import account_by_name, list_accounts

    if any(a == "all" for a in wanted):
        if ctx.args.real:
            from models.evaluation.datasets import real_listeners

            return real_listeners(store)
        return [a.name for a in list_accounts(store.engine) if a.plays >= 2]
    for name in wanted:
        if account_by_name(store.engine, name) is None:
            known = ", ".join(a.name for a in list_accounts(store.engine)) or "none yet"
            raise CliError(f"no account named '{name}' (accounts: {known})", 2)
    return wanted


def _print_tables(doc: dict) -> None:
    from models.evaluation.report import METRICS, account_table, summarise, text_table

    rows = summarise(doc["results"])
    if not rows:
        print("no results")
        return
    print(
        "Mean over accounts and seeds (full ranking; repeat = heard before, explore = new to the listener):"
    )
    print(text_table(rows, ("accounts", "runs", *METRICS)))
    if len({r.get("account") for r in doc["results"]}) > 1:
        print("\nNDCG@10 per account:")
        print(account_table(doc["results"], markdown=False))
