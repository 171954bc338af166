"""``segue insights [enable|disable|selfcheck|answers] --account NAME [--json]`` (opt-in, local)."""

from __future__ import annotations

import argparse

from core.cli import CliError, ask, print_json
from core.commands.common import add_account

EXIT_NO_CONSENT = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("insights", help="opt-in listening insights (local, not a diagnosis)")
    p.add_argument(
        "action",
        nargs="?",
        default="show",
        choices=["show", "enable", "disable", "selfcheck", "answers", "delete-answers"],
    )
    p.add_argument("instrument", nargs="?", choices=["k10", "hums"], help="for selfcheck")
    add_account(p)
    p.add_argument(
        "--answers", help="selfcheck answers as comma-separated 1-5 values (else asked interactively)"
    )
    p.add_argument("--yes", action="store_true", help="enable without the interactive confirmation")
    p.add_argument("--weeks", type=int, default=0, help="only the latest N weeks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(ctx) -> int:
    from core.insights import consent, questionnaires

    args = ctx.args
    store = ctx.store
    account_id = ctx.account_id(args.account)
    if args.action == "enable":
        print(consent.CONSENT_TEXT)
        if not args.yes and ask("Turn insights on? [y/N] ", "--yes").strip().lower() not in {"y", "yes"}:
            return 1
        consent.enable(store, account_id)
        print(
            f"Insights are on for '{args.account}'. `segue insights disable` turns them off and deletes them."
        )
        return 0
    if args.action == "disable":
        n = consent.disable(store, account_id)
        print(f"Insights are off for '{args.account}'; deleted the consent and {n} saved answer(s).")
        return 0
    if not consent.has_consent(store, account_id):
        raise CliError(
            f"insights are off for '{args.account}': they only run after you turn them on "
            f"(`segue insights enable --account {args.account}`)",
            EXIT_NO_CONSENT,
        )
    if args.action == "selfcheck":
        return _selfcheck(ctx, account_id)
    if args.action == "answers":
        rows = questionnaires.history(store, account_id)
        if args.json:
            print_json({"answers": rows})
        else:
            for r in rows:
                print(r)
        return 0
    if args.action == "delete-answers":
        print(f"deleted {questionnaires.delete_answers(store, account_id)} saved answer(s)")
        return 0
    return _show(ctx, account_id)


def _show(ctx, account_id: int) -> int:
    from core.insights.indicators import weekly_indicators
    from core.settings import Settings

    settings = Settings.load()
    weeks = weekly_indicators(
        ctx.store.engine,
        account_id,
        tz_name=settings.timezone or None,
        gap_s=settings.session_gap_minutes * 60,
    )
    if ctx.args.weeks:
        weeks = weeks[-ctx.args.weeks :]
    if ctx.args.json:
        print_json({"weeks": weeks, "note": "Describes listening only; not a diagnosis."})
        return 0
    for w in weeks:
        said = "; ".join(w["sentences"].values()) or "about your usual"
        print(
            f"{w['week']}  {w['plays']:5d} plays  repetition {w['repetition']:.2f}  "
            f"diversity {w['diversity'] or 0:.2f}  late night {w['late_night_share']:.2f}  — {said}"
        )
    print("\nThese describe your listening compared with your own usual; they are not a diagnosis.")
    return 0


def _selfcheck(ctx, account_id: int) -> int:
    from core.insights import questionnaires as q

    args = ctx.args
    if not args.instrument:
        raise CliError("selfcheck needs an instrument: k10 or hums", 2)
    inst = q.INSTRUMENTS[args.instrument]
    if args.answers:
        try:
            answers = [int(x) for x in args.answers.split(",")]
        except ValueError as exc:
            raise CliError("--answers must be numbers 1-5 separated by commas", 2) from exc
    else:
        print(inst.title + "\n" + inst.intro + "\n")
        print("  " + "  ".join(f"{i}={o}" for i, o in enumerate(inst.options, 1)))
        answers = []
        for n, item in enumerate(inst.items, 1):
            text = ask(f"{n:2d}. {item}: ", "--answers N,N,... (one 1-5 value per question)").strip()
            try:
                answers.append(int(text or 0))
            except ValueError as exc:
                raise CliError(f"answer {n} must be a number 1-5, got {text!r}", 2) from exc
    try:
        result = q.save(ctx.store, account_id, inst.key, answers)
    except q.AnswerError as exc:
        raise CliError(str(exc), 2) from exc
    if args.json:
        print_json({"instrument": inst.key, **result})
    else:
        print(f"Saved on this computer only. {result}. This is not a diagnosis.\n{q.SUPPORT_NOTE}")
    return 0
