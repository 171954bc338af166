"""``segue features import|status|embed|fetch``."""

from __future__ import annotations

import argparse

from core.cli import CliError, clear_progress, print_json, progress_printer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("features", help="feature tables, fetching, embeddings and coverage")
    fsub = p.add_subparsers(dest="features_command", metavar="ACTION", required=True)

    imp = fsub.add_parser(
        "import",
        help="load audio / lyrics / tags tables (CSV, TSV, Parquet, HetRec folder)",
        description="Rows are matched to stored tracks by normalised artist + title; "
        "tables without a title column are artist level.",
    )
    imp.add_argument(
        "files", nargs="+", metavar="FILE", help="table file(s), a folder of them, or a HetRec folder"
    )
    imp.add_argument("--kind", required=True, choices=["audio", "lyrics", "tags"])
    imp.add_argument("--account", "-a", help="match only this account's tracks (default: every stored track)")
    imp.add_argument("--replace", action="store_true", help="also replace data other providers stored")
    imp.add_argument(
        "--no-artist-fallback", action="store_true", help="do not derive artist-level rows from a track table"
    )
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=run_import)

    st = fsub.add_parser("status", help="feature coverage over an account's distinct tracks")
    st.add_argument("--account", "-a", required=True)
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=run_status)

    emb = fsub.add_parser("embed", help="compute or refresh embeddings (only what changed)")
    emb.add_argument("--account", "-a", help="Word2Vec for this account only (default: every account)")
    emb.add_argument(
        "--kind",
        action="append",
        choices=["lyrics", "bio", "tags", "audio", "w2v"],
        help="only these kinds (repeatable; default all)",
    )
    emb.add_argument("--force", action="store_true", help="recompute even unchanged vectors and refit models")
    emb.add_argument("--json", action="store_true")
    emb.set_defaults(handler=run_embed)

    fe = fsub.add_parser("fetch", help="fetch pending or stale features from the online services")
    fe.add_argument("--account", "-a", help="only this account's tracks (default: all)")
    fe.add_argument("--modality", action="append", help="only these modalities (repeatable)")
    fe.add_argument("--force", action="store_true", help="refetch even fresh items")
    fe.add_argument("--limit", type=int, help="at most N items per modality")
    fe.add_argument("--json", action="store_true")
    fe.set_defaults(handler=run_fetch)


def run_import(ctx) -> int:
    from pathlib import Path

    from core.features.tables import expand_tables, import_table
    from core.jobs import run_job

    args = ctx.args
    if args.account:
        ctx.account_id(args.account)
    paths = [p for f in args.files for p in expand_tables(Path(f).expanduser())]
    if not paths:
        raise CliError("no table files found in " + ", ".join(args.files), 2)
    summaries = []
    for path in paths:
        s = run_job(
            import_table(
                ctx.store,
                path,
                args.kind,
                account=args.account,
                replace=args.replace,
                artist_fallback=not args.no_artist_fallback,
            ),
            progress_printer(not args.json),
        )
        summaries.append(s)
        clear_progress(not args.json)
        if not args.json:
            extra = (
                f", {s.matched_artists:,} artists" if (s.level == "artist" or args.kind != "lyrics") else ""
            )
            print(
                f"{path.name} [{s.layout}, {s.level} level]: {s.rows:,} rows, matched {s.matched_tracks:,} tracks"
                f"{extra}; wrote {s.written:,}, unmatched {s.unmatched:,}, empty {s.empty:,}"
                + (f", kept existing {s.kept_existing:,}" if s.kept_existing else "")
                + (f", repaired {s.repaired:,} rows" if s.repaired else "")
            )
    if args.json:
        print_json({"tables": [s.to_json() for s in summaries]})
    return 0


def run_status(ctx) -> int:
    from core.features.status import feature_status

    args = ctx.args
    report = feature_status(ctx.store.engine, ctx.account_id(args.account))
    if args.json:
        print_json(report)
        return 0
    n = report["tracks"]
    print(f"{args.account}: {n:,} distinct tracks")
    print(f"{'modality':10s} {'ok':>8s} {'missing':>8s} {'error':>8s} {'pending':>8s}  with artist fallback")
    for m, c in report["modalities"].items():
        fb = report["with_artist_fallback"].get(m)
        print(
            f"{m:10s} {c['ok']:8,} {c['missing']:8,} {c['error']:8,} {c['pending']:8,}"
            + (f"  ok {fb['ok']:,} ({fb['ok'] / n:.0%})" if fb and n else "")
        )
    print("embeddings (tracks with a vector / with the artist's):")
    for k, c in report["embeddings"].items():
        print(f"  {k:8s} {c['track']:8,} / {c['with_artist']:,}")
    return 0


def run_embed(ctx) -> int:
    from core.features.embeddings.build import build_embeddings
    from core.jobs import run_job

    args = ctx.args
    if args.account:
        ctx.account_id(args.account)
    result = run_job(
        build_embeddings(ctx.store, account=args.account, kinds=args.kind, force=args.force),
        progress_printer(not args.json),
    )
    clear_progress(not args.json)
    if args.json:
        print_json({"embeddings": result})
    else:
        for kind, summary in result.items():
            print(f"{kind}: {summary}")
    return 0


def run_fetch(ctx) -> int:
    from core.jobs import run_job

    try:
        from core.features.fetch import fetch_features
    except ImportError as exc:
        raise CliError(f"feature fetching is not available in this build ({exc})", 1) from exc
    args = ctx.args
    if args.account:
        ctx.account_id(args.account)
    summary = run_job(
        fetch_features(ctx.store, args.account, modalities=args.modality, force=args.force, limit=args.limit),
        progress_printer(not args.json),
    )
    clear_progress(not args.json)
    data = summary.as_dict() if hasattr(summary, "as_dict") else summary
    if args.json:
        print_json(data)
    else:
        for m, r in data.get("modalities", {}).items():
            print(
                f"{m:8s} due {r['due']:,}: {r['ok']:,} ok, {r['missing']:,} missing, {r['error']:,} errors"
                + (f", {r['left_pending']:,} left pending" if r.get("left_pending") else "")
                + (f" — stopped: {r['stopped']}" if r.get("stopped") else "")
            )
        for note in data.get("notes", []):
            print(note)
    return 0
