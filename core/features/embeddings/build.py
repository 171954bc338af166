"""One job that brings every embedding up to date (``segue features embed``, the scheduler).

Shared kinds (lyrics, bio, tags, audio) are built once for the whole store; ``w2v`` per account
(the given one, or every account). Each step skips what is already current, so running this after
every feature fetch costs little when nothing changed.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from sqlalchemy import select

from core.jobs import CancelToken, Progress
from core.store.schema import Account

KINDS = ("lyrics", "bio", "tags", "audio", "w2v")


def build_embeddings(
    store,
    *,
    account: str | int | None = None,
    kinds: Sequence[str] | None = None,
    force: bool = False,
    vae_epochs: int = 30,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, dict]:
    """Build ``kinds`` (default all); returns {kind: summary} (w2v: {account name: summary})."""
    from core.features.embeddings.tagvec import build_tag_embeddings
    from core.features.embeddings.text import build_text_embeddings
    from core.features.embeddings.vae import build_audio_vae
    from core.features.embeddings.w2v import build_w2v

    cancel = cancel or CancelToken()
    kinds = list(kinds or KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown embedding kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    out: dict = {}
    for kind in kinds:
        cancel.raise_if_cancelled()
        yield Progress(0, None, f"embeddings: {kind}")
        if kind in ("lyrics", "bio"):
            out[kind] = yield from build_text_embeddings(store, kind, force=force, cancel=cancel)
        elif kind == "tags":
            out[kind] = yield from build_tag_embeddings(store, force=force, cancel=cancel)
        elif kind == "audio":
            out[kind] = yield from build_audio_vae(store, epochs=vae_epochs, force=force, cancel=cancel)
        else:
            out[kind] = {}
            for acc_id, name in _accounts(store, account):
                out[kind][name] = yield from build_w2v(store, acc_id, force=force, cancel=cancel)
    return out


def _accounts(store, account: str | int | None) -> list[tuple[int, str]]:
    stmt = select(Account.id, Account.name).order_by(Account.id)
    if isinstance(account, int):
        stmt = stmt.where(Account.id == account)
    elif account is not None:
        stmt = stmt.where(Account.name == account)
    with store.engine.connect() as conn:
        rows = [(int(i), n) for i, n in conn.execute(stmt)]
    if account is not None and not rows:
        raise KeyError(f"no account {account!r}")
    return rows
