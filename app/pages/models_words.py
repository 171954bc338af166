"""The Models page in a listener's words: one sentence per evaluation, training progress without jargon.

"default was right about 1 time in 3 on your last 1,155 plays — 21% better than the simple baseline"
means: for each of the last 1,155 plays (the held-out 10%, docs/architecture.md §8) the model ranked every track,
and the one actually played next was in its top 10 about a third of the time (HR@10), against the
first-order Markov + recency baseline's rate on the same plays.
"""

from __future__ import annotations

import re

from core.jobs import Progress

#: The "simple baseline" a sentence compares with: the first of these that was evaluated.
BASELINES = ("markov_recency", "markov", "recency_pop", "recency_popularity", "pop", "popularity")
_EPOCH = re.compile(r"epoch (\d+)\s*/\s*(\d+)")
_VALID_HR = re.compile(r"validation HR@10 ([0-9.]+)")


def how_often(hr: float) -> str:
    """0.34 → 'about 1 time in 3'; 0.72 → 'about 7 times in 10'."""
    if hr <= 0:
        return "never"
    if hr >= 0.95:
        return "almost every time"
    if hr >= 0.45:
        return f"about {round(hr * 10)} times in 10"
    n = round(1 / hr)
    return f"about 1 time in {n:,}"


def sentence(rows: list[dict], model: str = "default") -> str:
    """One plain sentence about ``model`` (else the best evaluated) against the simple baseline."""
    by = {r["model"]: r for r in rows if isinstance(r.get("hr@10"), int | float)}
    if not by:
        return ""
    r = by.get(model) or max(by.values(), key=lambda x: x.get("ndcg@10") or 0.0)
    hr = float(r["hr@10"])
    n = r.get("n_test")
    on = f"on your last {int(n):,} plays" if n else "on your held-out plays"
    text = f"{r['model']} was right {how_often(hr)} {on} (the track you played next was in its top 10)"
    base = next((by[b] for b in BASELINES if b in by and b != r["model"]), None)
    if base is not None:
        bhr = float(base["hr@10"])
        if bhr > 0:
            rel = hr / bhr - 1
            if abs(rel) < 0.005:
                text += f", as good as the simple baseline ({base['model']})"
            else:
                text += f", {abs(rel):.0%} {'better' if rel > 0 else 'worse'} than the simple baseline ({base['model']})"
        elif hr > 0:
            text += f"; the simple baseline ({base['model']}) never was"
    return text + "."


def training_words(p: Progress) -> str:
    """'epoch 2/100, loss 8.101, validation HR@10 0.010 …' → 'pass 2 of at most 100 over your plays; right
    1% of the time on plays held back to check'."""
    msg = p.message or ""
    parts = []
    m = _EPOCH.search(msg)
    if m:
        parts.append(f"pass {m.group(1)} of at most {m.group(2)} over your plays")
    v = _VALID_HR.search(msg)
    if v:
        parts.append(f"right {float(v.group(1)):.0%} of the time on plays held back to check")
    if parts:
        return "; ".join(parts)
    if p.fraction is not None:
        return f"{msg} — {p.fraction:.0%}" if msg else f"{p.fraction:.0%}"
    return msg


def status_words(p: Progress) -> str:
    """The Status cell while a model trains: 'training · pass 2' (early stopping makes a percentage of
    the maximum passes meaningless), else the job's own fraction."""
    m = _EPOCH.search(p.message or "")
    if m:
        return f"training · pass {m.group(1)}"
    return f"training {p.fraction:.0%}" if p.fraction is not None else "training…"
