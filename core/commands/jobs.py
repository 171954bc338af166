"""``segue jobs list`` (registered jobs, schedules, recent runs) and ``segue jobs run NAME``.

The jobs are the registry's: core's (``core.jobs.builtin``) and, when ``segue`` composed the model
commands, the models' (``models.jobs``). ``run`` goes through the one ``Runner``, so a job run here
is recorded and queued exactly as the app's and the schedule's runs of it."""

from __future__ import annotations

import argparse

from core.cli import CliError, clear_progress, print_json, progress_printer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("jobs", help="background jobs: what exists, what ran, run one now")
    jsub = p.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    ls = jsub.add_parser("list", help="registered jobs and the latest runs (with outcome and counts)")
    ls.add_argument("--limit", type=int, default=20, help="how many recent runs to show")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=run_list)
    rn = jsub.add_parser("run", help="run a job now (recorded in the job history)")
    rn.add_argument("name")
    rn.add_argument("--account", "-a", help="the account the job is for (sync, train, ...)")
    rn.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="another job parameter")
    rn.add_argument("--json", action="store_true")
    rn.set_defaults(handler=run_run)


def _iso(ts: int | None) -> str:
    from core.sources.importing import iso

    return iso(ts) or "-"


def _schedules(ctx) -> list[dict]:
    """The persisted schedule, read without starting a scheduler (empty before the app ever ran one)."""
    from sqlalchemy import inspect

    from core.jobs.scheduler import TABLE

    if TABLE not in inspect(ctx.store.engine).get_table_names():
        return []
    from sqlalchemy import text

    with ctx.store.engine.connect() as conn:
        return [
            {"id": i, "next_run": _iso(int(t)) if t else None}
            for i, t in conn.execute(text(f"SELECT id, next_run_time FROM {TABLE} ORDER BY id"))
        ]


def run_list(ctx) -> int:
    from core.jobs.builtin import register_core_jobs
    from core.jobs.history import recent_runs
    from core.jobs.runner import REGISTRY

    register_core_jobs(REGISTRY)
    args = ctx.args
    jobs = [
        {"name": s.name, "resource": s.resource, "params": list(s.params), "description": s.description}
        for s in REGISTRY.specs()
    ]
    runs = [r.to_json() for r in recent_runs(ctx.store.engine, args.limit)]
    schedules = _schedules(ctx)
    if args.json:
        print_json({"jobs": jobs, "schedules": schedules, "runs": runs})
        return 0
    print("Jobs:")
    for j in jobs:
        params = " ".join(f"[{p[:-1]}]" if p.endswith("?") else f"<{p}>" for p in j["params"])
        print(f"  {j['name']:14s} {params:18s} {j['description']}")
    if schedules:
        print("Schedule:")
        for s in schedules:
            print(f"  {s['id']:24s} next {s['next_run'] or '-'}")
    print("Recent runs:" if runs else "No runs yet.")
    for r in runs:
        counts = (
            ""
            if not r["counts"]
            else " "
            + ", ".join(
                f"{k}={v}" for k, v in list(r["counts"].items())[:4] if not isinstance(v, (dict, list))
            )
        )
        print(
            f"  #{r['id']:<5d} {r['job']:14s} {r['resource']:24s} {_iso(r['started_at'])} "
            f"{r['outcome']:11s}{counts}"
            + (f" — {r['message']}" if r["outcome"] != "ok" and r["message"] else "")
        )
    return 0


def run_run(ctx) -> int:
    from core.jobs.builtin import follow_new_plays, register_core_jobs
    from core.jobs.runner import REGISTRY, Runner

    register_core_jobs(REGISTRY)
    args = ctx.args
    params: dict = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--param expects KEY=VALUE, got {item!r}", 2)
        params[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value
    if args.account:
        ctx.account_id(args.account)
        params["account"] = args.account
    if args.name not in REGISTRY:
        known = ", ".join(s.name for s in REGISTRY.specs())
        raise CliError(f"no job named '{args.name}' (jobs: {known})", 2)
    show = progress_printer(not args.json)
    runner = Runner(ctx.store, REGISTRY, on_progress=(lambda h, p: show(p)) if show else None)
    follow_new_plays(runner)  # `segue jobs run import` trains default next, and waits for it
    try:
        handle = runner.run(args.name, **params)
        runner.shutdown(cancel=False, timeout=None)  # and what it submitted (retrain_check → train)
    except ValueError as exc:
        raise CliError(str(exc), 2) from exc
    finally:
        runner.shutdown(timeout=30)  # after Ctrl-C or an error: cancel the rest, let it stop cleanly
    clear_progress(not args.json)
    from core.jobs.runner import counts_of

    out = {
        "job": handle.name,
        "run_id": handle.run_id,
        "outcome": handle.state,
        "error": handle.error,
        "counts": counts_of(handle.result),
    }
    if args.json:
        print_json(out)
    else:
        print(
            f"{handle.name} [{handle.resource}]: {handle.state}"
            + (f" — {handle.error}" if handle.error else "")
        )
    return {"ok": 0, "cancelled": 130}.get(handle.state, 1)
