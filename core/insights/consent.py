"""Consent for insights: what the user agrees to, recorded with a text version; withdrawal deletes."""

from __future__ import annotations

import time

from sqlalchemy import delete, select

from core.store.engine import Store
from core.store.schema import InsightConsent, QuestionnaireAnswer

TEXT_VERSION = "2026-11"
CONSENT_TEXT = """\
Insights look at patterns in your listening, week by week, compared with your own usual:
  - how repetitive it is (the same tracks and artists again, within and across sessions),
  - how varied it is (artists and tags),
  - how much of it happens late at night, and how long your sessions are,
  - its mood profile from tags (and valence/energy where audio features exist).
You can also fill in two optional questionnaires (K10, HUMS) and keep the answers here.

Everything is computed and stored on this computer only; nothing is sent anywhere.
This is not a diagnosis and not medical advice — listening patterns change for many reasons.
Suggestions never change because of these insights; only the controls you set change them.
You can turn insights off at any time: that deletes your consent and every answer you saved.
"""


class ConsentRequired(Exception):
    """Insights were asked for while consent is absent."""


def has_consent(store: Store, account_id: int) -> bool:
    with store.engine.connect() as conn:
        return (
            conn.execute(
                select(InsightConsent.account_id).where(InsightConsent.account_id == account_id)
            ).first()
            is not None
        )


def require_consent(store: Store, account_id: int) -> None:
    if not has_consent(store, account_id):
        raise ConsentRequired(
            "insights are off for this account; turn them on first "
            "(`segue insights enable --account NAME`, or the Insights page)"
        )


def enable(store: Store, account_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(InsightConsent).where(InsightConsent.account_id == account_id))
        conn.execute(
            InsightConsent.__table__.insert().values(
                account_id=account_id, consented_at=int(time.time()), text_version=TEXT_VERSION
            )
        )


def disable(store: Store, account_id: int) -> int:
    """Withdraw consent and delete all insight data of the account; returns answers deleted."""
    with store.engine.begin() as conn:
        n = conn.execute(
            delete(QuestionnaireAnswer).where(QuestionnaireAnswer.account_id == account_id)
        ).rowcount
        conn.execute(delete(InsightConsent).where(InsightConsent.account_id == account_id))
    return int(n or 0)
