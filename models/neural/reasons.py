"""Plain-sentence reasons for neural suggestions, kept honest.

Every network here scores item ``j`` as ``q · (id_j + Σ_m part_{m,j}) + b_j``. The reason names the
part that contributed most to the score: a modality part only when the item really has that
modality (mask) and it outweighed the listening-history (id) part; otherwise the suggestion is
described as following the recent plays, naming the recent play whose representation is closest.
Tracks are named with ``{track:i}`` tokens (dense indices) that ``models.serving.reasons`` renders as
"“Title” by Artist" for the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# By modality-name prefix (models.features names: audio, audio_raw, lyrics, bio, tags, tag_weights, w2v).
PHRASES = {
    "audio": "sounds like {}",
    "lyrics": "lyrics close to {}",
    "tag": "tagged like {}",
    "bio": "by an artist described like the one of {}",
    "w2v": "played in the same contexts as {}",
}


@dataclass
class Explanation:
    query: np.ndarray  # [d]
    parts: dict[str, np.ndarray]  # name -> [n_items, d]; "id" plus modality parts
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # modality -> bool [n_items]


def label(item: int) -> str:
    return f"{{track:{int(item)}}}"


def _phrase_key(modality: str) -> str:
    for key in PHRASES:
        if modality.startswith(key):
            return key
    return ""


def _closest(vectors: np.ndarray, item: int, candidates: np.ndarray) -> int | None:
    candidates = candidates[candidates != item]
    if candidates.size == 0:
        return None
    a = vectors[item]
    b = vectors[candidates]
    sim = b @ a / (np.linalg.norm(b, axis=1) * np.linalg.norm(a) + 1e-9)
    return int(candidates[int(np.argmax(sim))])


def sentence(ex: Explanation, window: np.ndarray, item: int) -> str:
    recent = np.unique(window)
    contrib = {name: float(ex.query @ part[item]) for name, part in ex.parts.items()}
    modal = [
        (c, name) for name, c in contrib.items() if name != "id" and name in ex.masks and ex.masks[name][item]
    ]
    if modal:
        best, name = max(modal)
        if best > 0 and best > contrib.get("id", 0.0):
            have = recent[ex.masks[name][recent]]
            anchor = _closest(ex.parts[name], item, have)
            key = _phrase_key(name)
            if anchor is not None:
                return PHRASES[key].format(label(anchor)) if key else f"similar to {label(anchor)}"
    if item in recent:
        return "you played it recently"
    anchor = _closest(sum(ex.parts.values()), item, recent)
    return (
        f"follows your recent plays of {label(anchor)}" if anchor is not None else "follows your recent plays"
    )
