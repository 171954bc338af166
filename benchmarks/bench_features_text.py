"""Issue 4: sentence-embedding throughput of the packaged MiniLM on real lyrics (texts/s, 2 cores).

    python -m benchmarks.bench_features_text [--lyrics 500] [--short 2000]

Texts: real lyrics from poplyrics-1k and edelgrace (cleaned as the embedding job cleans them; the
model truncates at 256 word pieces), with 1 and 2 torch threads, and, for comparison with docs/architecture.md §5's "~900 short texts/s",
short "artist – title" strings. One warm-up batch is not timed; model load time is reported apart.
Results: bench-results/features_text.json (with the machine's load average: the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from benchmarks.common import LISTENING, SHARED, save


def _texts(n_lyrics: int, n_short: int) -> tuple[list[str], list[str]]:
    import csv
    import sys

    import pyarrow.parquet as pq

    from core.features.embeddings.encoder import clean_lyrics
    from core.features.table_readers import clean_lyrics_cell

    table = pq.read_table(
        SHARED / "data" / "features" / "lyrics" / "lyrics-poplyrics-1k" / "poplyric-1k.parquet"
    )
    rows = table.select(["artist", "track_name", "lyrics"]).to_pylist()
    csv.field_size_limit(sys.maxsize)
    with open(LISTENING / "edelgrace" / "lyrics.csv", newline="", encoding="utf-8") as fh:
        edel = [
            {"artist": r[1], "track_name": r[0], "lyrics": r[2]}
            for r in list(csv.reader(fh, delimiter="\t"))[1:]
        ]
    lyrics = [clean_lyrics(clean_lyrics_cell(r["lyrics"] or "")) for r in rows + edel]
    lyrics = [t for t in lyrics if t][:n_lyrics]
    short = [f"{r['artist']} – {r['track_name']}" for r in rows + edel]
    short = (short * (n_short // len(short) + 1))[:n_short]
    return lyrics, short


def _rate(encoder, texts: list[str], batch: int) -> dict:
    encoder.encode(texts[:batch], batch_size=batch)  # warm-up
    t = time.perf_counter()
    encoder.encode(texts, batch_size=batch)
    s = time.perf_counter() - t
    return {
        "texts": len(texts),
        "seconds": round(s, 2),
        "texts_per_s": round(len(texts) / s, 1),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lyrics", type=int, default=500)
    ap.add_argument("--short", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    os.environ.setdefault("SEGUE_HOME", tempfile.mkdtemp(prefix="segue-bench-text-"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    from core.features.embeddings.encoder import Encoder

    lyrics, short = _texts(args.lyrics, args.short)
    t = time.perf_counter()
    enc = Encoder("")
    load_s = time.perf_counter() - t
    out = {"model": enc.model_id, "batch": args.batch, "model_load_s": round(load_s, 2), "threads": {}}
    for threads in (1, 2):
        enc.threads = threads
        out["threads"][threads] = {
            "lyrics": _rate(enc, lyrics, args.batch),
            "short": _rate(enc, short, args.batch),
        }
        r = out["threads"][threads]
        print(
            f"{enc.model_id}, {threads} torch thread(s): lyrics {r['lyrics']['texts_per_s']} texts/s "
            f"({r['lyrics']['texts']} texts, ~{r['lyrics']['mean_chars']} chars); short "
            f"{r['short']['texts_per_s']} texts/s ({r['short']['texts']} texts)",
            flush=True,
        )
    print(f"model load {load_s:.1f} s; saved {save('features_text', out)}")


if __name__ == "__main__":
    main()
