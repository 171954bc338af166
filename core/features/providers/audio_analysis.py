"""What can honestly be computed from an audio file with librosa + pyloudnorm, in Spotify's columns.

* ``duration_ms`` — the decoded length.
* ``loudness`` — **integrated loudness in LUFS** (ITU-R BS.1770-4 K-weighting and gating, via
  pyloudnorm) of the whole file, all channels, at its own sample rate.  Spotify's ``loudness`` was
  documented as "overall loudness in dB, typically -60..0" without a standard; the scales agree in
  sign and range (modern masters sit around -14..-6 in both) but are not the same measurement: do not
  mix them blindly.  Silence or clips shorter than one 400 ms gating block give NULL.
* ``tempo`` — BPM from librosa's onset-autocorrelation tempo estimator (``librosa.feature.tempo``)
  over the central ``EXCERPT_S`` seconds (mono, 22.05 kHz); NULL when there are no measurable onsets.
  Octave errors (half/double tempo) happen, as with every estimator.
* ``key`` / ``mode`` — Krumhansl-Schmuckler over the same excerpt: the time-averaged constant-Q
  chroma vector is correlated with the 24 rotations of the Krumhansl-Kessler major and minor key
  profiles; ``key`` is the pitch class 0=C..11=B and ``mode`` 1 major / 0 minor, as Spotify encoded
  them.  NULL when the best correlation is weak (no tonal centre, e.g. noise or speech).

Analysing an excerpt keeps a 4-minute track at a few seconds of CPU (full-length constant-Q chroma
costs ~10x more); a track that changes key or tempo is summarised by its middle.

Not computed (left NULL, never 0): acousticness, danceability, energy, instrumentalness, liveness,
speechiness, valence.  Spotify derived them from trained models; an RMS or onset-strength "energy"
would be a different, uncalibrated quantity stored under the same name, so we do not invent one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

SR = 22_050
HOP = 512
EXCERPT_S = 90.0
MIN_KEY_CORRELATION = 0.5
MIN_ONSET_STRENGTH = 0.5  # spectral-flux peak below this: a steady tone or a drone, no beat to measure
# Krumhansl & Kessler (1982) probe-tone profiles, C major / C minor.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def _zscore(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else np.zeros_like(v)


def estimate_key(chroma_mean: np.ndarray) -> tuple[int | None, int | None, float]:
    """(key 0-11, mode 1/0, correlation) for a 12-bin chroma vector; (None, None, r) when r is weak."""
    if chroma_mean.shape != (12,) or not np.isfinite(chroma_mean).all() or chroma_mean.std() == 0:
        return None, None, 0.0
    c = _zscore(chroma_mean)
    best = (-2.0, 0, 1)
    for mode, profile in ((1, MAJOR_PROFILE), (0, MINOR_PROFILE)):
        for key in range(12):
            r = float(np.dot(c, _zscore(np.roll(profile, key))) / 12)
            if r > best[0]:
                best = (r, key, mode)
    r, key, mode = best
    if r < MIN_KEY_CORRELATION:
        return None, None, r
    return key, mode, r


def integrated_loudness(samples: np.ndarray, sr: int) -> float | None:
    """LUFS of ``samples`` shaped (n,) or (channels, n); None for silence or too-short input."""
    import pyloudnorm

    data = samples.T if samples.ndim == 2 else samples
    if data.shape[0] < int(0.4 * sr):
        return None
    value = pyloudnorm.Meter(sr).integrated_loudness(np.asarray(data, dtype=np.float64))
    return float(value) if math.isfinite(value) else None


def central_excerpt(mono: np.ndarray, sr: int, seconds: float = EXCERPT_S) -> np.ndarray:
    n = int(seconds * sr)
    if mono.size <= n:
        return mono
    start = (mono.size - n) // 2
    return mono[start : start + n]


def analyse_signal(y: np.ndarray, sr: int = SR, excerpt_s: float = EXCERPT_S) -> dict[str, float | None]:
    """Features of a decoded signal, (n,) mono or (channels, n), at any sample rate."""
    import librosa

    mono = y.mean(axis=0) if y.ndim == 2 else y
    out: dict[str, float | None] = {
        "duration_ms": round(1000.0 * mono.shape[-1] / sr, 1),
        "loudness": integrated_loudness(y, sr),
        "tempo": None,
        "key": None,
        "mode": None,
    }
    mono = np.ascontiguousarray(central_excerpt(mono, sr, excerpt_s), dtype=np.float32)
    if sr != SR:
        mono = librosa.resample(mono, orig_sr=sr, target_sr=SR, res_type="soxr_hq")
        sr = SR
    if mono.size < sr or float(np.max(np.abs(mono), initial=0.0)) < 1e-4:
        return out  # under a second, or silent: no tempo or key to speak of
    onset = librosa.onset.onset_strength(y=mono, sr=sr, hop_length=HOP)
    if onset.size and float(onset.max()) >= MIN_ONSET_STRENGTH:
        tempo = librosa.feature.tempo(onset_envelope=onset, sr=sr, hop_length=HOP)
        bpm = float(np.atleast_1d(tempo)[0])
        out["tempo"] = round(bpm, 2) if bpm > 0 else None
    chroma = librosa.feature.chroma_cqt(y=mono, sr=sr, hop_length=HOP * 4)
    key, mode, _r = estimate_key(chroma.mean(axis=1))
    out["key"], out["mode"] = (float(key), float(mode)) if key is not None else (None, None)
    return out


def decode(path: str | Path) -> tuple[np.ndarray, int]:
    """(channels, n) float32 at the file's own rate: libsndfile (WAV, FLAC, Ogg, Opus, MP3), else
    librosa's fallback decoders (audioread/ffmpeg for AAC/M4A, WMA...). Raises on unreadable audio."""
    import soundfile

    try:
        data, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
        return np.ascontiguousarray(data.T), int(sr)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        import librosa

        y, sr = librosa.load(str(path), sr=None, mono=False)
        return np.atleast_2d(np.asarray(y, dtype=np.float32)), int(sr)


def analyse_file(path: str | Path) -> dict[str, float | None]:
    """Decode and analyse one file. Raises on unreadable audio."""
    y, sr = decode(path)
    if y.shape[-1] == 0:
        raise ValueError("the file holds no audio")
    return analyse_signal(y, sr)


def essentia_available() -> bool:
    """Whether essentia imports. Its model-based descriptors (danceability, mood_acoustic, ...) need
    separately downloaded TensorFlow graphs and are not wired here (see the report / README)."""
    try:
        import essentia.standard  # noqa: F401
    except Exception:  # noqa: BLE001
        return False
    return True
