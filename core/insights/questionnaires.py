"""Optional self-checks, scored as published, stored locally with dates, deletable.

- K10 (Kessler et al., 2002): 10 items about the last 30 days, each 1 (none of the time) … 5 (all of
  the time); total 10–50. The bands used by the Australian Bureau of Statistics and in the research
  this product builds on: 10–15 low, 16–21 moderate, 22–29 high, 30–50 very high psychological distress.
- HUMS (Saarikallio, Gold & McFerran, 2015, CC BY): 13 items, 1 (never) … 5 (always); Healthy = mean of
  items 3, 5, 6, 9, 13; Unhealthy = mean of items 1, 2, 4, 7, 8, 10, 11, 12. No cut-offs are published
  for adults; the app shows the two means only.
Neither is a diagnosis; the app says so next to every score.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select

from core.store.engine import Store
from core.store.schema import QuestionnaireAnswer


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    intro: str
    items: tuple[str, ...]
    options: tuple[str, ...]


K10 = Instrument(
    "k10",
    "How you have been feeling (K10)",
    "These questions are about how you have been feeling in the past 30 days. "
    "For each one, pick how often you felt this way.",
    (
        "tired out for no good reason",
        "nervous",
        "so nervous that nothing could calm you down",
        "hopeless",
        "restless or fidgety",
        "so restless that you could not sit still",
        "depressed",
        "that everything was an effort",
        "so sad that nothing could cheer you up",
        "worthless",
    ),
    ("None of the time", "A little of the time", "Some of the time", "Most of the time", "All of the time"),
)

HUMS = Instrument(
    "hums",
    "How music works for you (HUMS)",
    "Most people find music a helpful part of their lives, but sometimes it is not. "
    "Think of real moments when music helped and when it did not, and mark how often each is true for you.",
    (
        "When I listen to music I get stuck in bad memories",
        "I hide in my music because nobody understands me, and it blocks people out",
        "Music helps me to relax",
        "When I try to use music to feel better I actually end up feeling worse",
        "I feel happier after playing or listening to music",
        "Music gives me the energy to get going",
        "I like to listen to songs over and over even though it makes me feel worse",
        "Music makes me feel bad about who I am",
        "Music helps me to connect with other people who are like me",
        "Music gives me an excuse not to face up to the real world",
        "It can be hard to stop listening to music that connects me to bad memories",
        "Music leads me to do things I shouldn't do",
        "When I'm feeling tense or tired in my body music helps me to relax",
    ),
    ("Never", "Rarely", "Sometimes", "Often", "Always"),
)

INSTRUMENTS = {K10.key: K10, HUMS.key: HUMS}
HUMS_HEALTHY = (3, 5, 6, 9, 13)
HUMS_UNHEALTHY = (1, 2, 4, 7, 8, 10, 11, 12)
K10_BANDS = ((15, "low"), (21, "moderate"), (29, "high"), (50, "very high"))

SUPPORT_NOTE = (
    "If things feel heavy, talking helps — a friend, your doctor, or a local helpline. "
    "If you are in danger or thinking about harming yourself, contact your local emergency "
    "number or a crisis line now."
)


class AnswerError(ValueError):
    """Answers do not fit the instrument (count or range); the message says which."""


def validate(instrument: Instrument, answers: list[int]) -> list[int]:
    if len(answers) != len(instrument.items):
        raise AnswerError(
            f"{instrument.key.upper()} has {len(instrument.items)} questions; got {len(answers)} answers"
        )
    for i, a in enumerate(answers, 1):
        if not isinstance(a, int) or not 1 <= a <= 5:
            raise AnswerError(f"answer {i} must be 1-5, got {a!r}")
    return list(answers)


def score(instrument: Instrument, answers: list[int]) -> dict:
    """The published scores for a complete set of answers."""
    answers = validate(instrument, answers)
    if instrument.key == "k10":
        total = sum(answers)
        band = next(name for upper, name in K10_BANDS if total <= upper)
        return {"total": total, "band": band, "range": [10, 50]}
    healthy = sum(answers[i - 1] for i in HUMS_HEALTHY) / len(HUMS_HEALTHY)
    unhealthy = sum(answers[i - 1] for i in HUMS_UNHEALTHY) / len(HUMS_UNHEALTHY)
    return {"healthy": round(healthy, 2), "unhealthy": round(unhealthy, 2), "range": [1, 5]}


def save(store: Store, account_id: int, key: str, answers: list[int], taken_at: int | None = None) -> dict:
    instrument = INSTRUMENTS[key]
    result = score(instrument, answers)
    headline = result["total"] if key == "k10" else result["unhealthy"]
    with store.engine.begin() as conn:
        conn.execute(
            QuestionnaireAnswer.__table__.insert().values(
                account_id=account_id,
                instrument=key,
                answers=answers,
                score=float(headline),
                taken_at=int(taken_at or time.time()),
            )
        )
    return result


def history(store: Store, account_id: int) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                QuestionnaireAnswer.id,
                QuestionnaireAnswer.instrument,
                QuestionnaireAnswer.answers,
                QuestionnaireAnswer.taken_at,
            )
            .where(QuestionnaireAnswer.account_id == account_id)
            .order_by(QuestionnaireAnswer.taken_at)
        ).all()
    return [
        {"id": r[0], "instrument": r[1], "taken_at": r[3], **score(INSTRUMENTS[r[1]], list(r[2]))}
        for r in rows
    ]


def delete_answers(store: Store, account_id: int, answer_id: int | None = None) -> int:
    stmt = delete(QuestionnaireAnswer).where(QuestionnaireAnswer.account_id == account_id)
    if answer_id is not None:
        stmt = stmt.where(QuestionnaireAnswer.id == answer_id)
    with store.engine.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)
