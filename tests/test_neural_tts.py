"""Neural Kokoro voices: real sentences synthesised offline, their aligned phones checked against the audio."""

from __future__ import annotations

import numpy as np
import pytest

from lipglance.errors import UserError
from lipglance.synth import neural_tts
from lipglance.synth.tts import SAMPLE_RATE, synthesize


def _installed() -> str | None:
    try:
        neural_tts.check("am_michael")
    except UserError as e:
        return str(e)
    return None


needs_kokoro = pytest.mark.skipif(_installed() is not None, reason=f"{_installed()}")


def _rms_db(wave: np.ndarray) -> np.ndarray:
    """Level (dB) of 10 ms windows every 1 ms."""
    rms = np.sqrt((np.lib.stride_tricks.sliding_window_view(wave, SAMPLE_RATE // 100)[:: SAMPLE_RATE // 1000] ** 2)
                  .mean(1))
    return 20 * np.log10(rms + 1e-9)


def test_a_missing_install_names_the_command(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LIPGLANCE_KOKORO_VOICES", str(tmp_path / "none"))
    with pytest.raises(UserError, match="make neural-voices"):
        synthesize("bin blue", "kokoro-am_michael")


def _closure(db: np.ndarray, start: float, end: float) -> tuple[int, int, int]:
    """The quietest ms within 50 ms of a phone [start, end] (s), and the first and last ms of the silence (30 dB
    under the peak) around it."""
    a = int(start * 1000) - 50
    q = a + int(np.argmin(db[a:int(end * 1000) + 50]))
    quiet = db < db.max() - 30
    s0, s1 = q, q
    while s0 > 0 and quiet[s0 - 1]:
        s0 -= 1
    while s1 < len(db) - 1 and quiet[s1 + 1]:
        s1 += 1
    return q + 5, s0 + 5, s1 + 5  # the centres of the 10 ms windows


@needs_kokoro
@pytest.mark.parametrize("voice", ["kokoro-am_michael", "kokoro-bf_emma"])
def test_aligned_phones_sit_on_the_speech(voice: str) -> None:
    onsets = []
    for text, seals in (("bob made a map of the palm by the pool", 3), ("keep a happy puppy in the top apartment", 6)):
        speech = synthesize(text, voice, rate=1.1, pitch=0.95)
        assert abs(speech.phones[-1].end - speech.duration) < 0.02
        db = _rms_db(speech.wave)
        spoken = [p for p in speech.phones if p.canon != "sil"]
        # The speech starts and ends where the level first and last comes within 30 dB of the peak.
        loud = np.flatnonzero(db > db.max() - 30)
        assert -0.01 <= loud[0] / 1000 - spoken[0].start <= 0.04, (loud[0], spoken[0])
        assert abs(loud[-1] / 1000 - spoken[-1].end) <= 0.12, (loud[-1], spoken[-1])
        # Each p closes the lips inside its label: the quietest point lies in it (give or take 10 ms), 15 dB
        # under the louder neighbour; a silence there starts 0-60 ms after the label (the vowel before fades out
        # over the first tens of ms of the closure; Kokoro leaves some closures, as in "keep a", unsilent).
        labels = [i for i, p in enumerate(speech.phones) if p.canon == "p"]
        assert len(labels) == seals, [p.canon for p in spoken]
        for i in labels:
            p, near = speech.phones[i], (speech.phones[i - 1], speech.phones[i + 1])
            q, s0, s1 = _closure(db, p.start, p.end)
            assert p.start - 0.01 <= q / 1000 <= p.end + 0.01, (p, q)
            assert db[q - 5] < max(db[int(n.start * 1000):int(n.end * 1000)].max() for n in near) - 15, (p, q)
            if s1 - s0 >= 10:
                onsets.append(s0 / 1000 - p.start)
    assert len(onsets) >= 6, onsets
    assert 0.0 <= float(np.mean(onsets)) <= 0.05 and -0.02 <= min(onsets) and max(onsets) <= 0.08, onsets


@needs_kokoro
def test_rate_and_pitch_change_the_speech() -> None:
    text = "we fish by the shore"
    base, fast = neural_tts.kokoro_wave(text, "af_bella"), neural_tts.kokoro_wave(text, "af_bella", rate=1.3)
    assert len(fast) < 0.87 * len(base)
    low, high = (neural_tts.kokoro_wave(text, "af_bella", pitch=p) for p in (0.9, 1.1))
    assert abs(len(low) - len(high)) < 0.1 * len(base)  # duration follows the rate alone

    def mean_f0(wave: np.ndarray) -> float:
        """Median autocorrelation pitch (Hz) of the voiced 40 ms frames."""
        f0 = []
        for s in range(0, len(wave) - 640, 320):
            x = wave[s:s + 640] - wave[s:s + 640].mean()
            if np.sqrt((x ** 2).mean()) < 0.02:
                continue
            ac = np.correlate(x, x, "full")[639:]
            lag = 40 + int(np.argmax(ac[40:200]))  # 80-400 Hz
            if ac[lag] > 0.5 * ac[0]:
                f0.append(SAMPLE_RATE / lag)
        return float(np.median(f0))

    assert mean_f0(high) > 1.1 * mean_f0(low)


def test_neural_voices_widen_training_only() -> None:
    from lipglance.synth.corpus.shards import plan
    from lipglance.synth.tts import VOICE_SETS

    neural = plan(seed=3, identities=30, sentences=6, voices="neural")
    natural = plan(seed=3, identities=30, sentences=6, voices="natural")
    train = {c.voice for j in neural if j.split == "train" for c in j.clips}
    assert train & set(neural_tts.KOKORO_VOICES) and set(VOICE_SETS["natural"]) < set(VOICE_SETS["neural"])
    assert not {v for v in VOICE_SETS["neural"] if "slt" in v}
    assert [j for j in neural if j.split != "train"] == [j for j in natural if j.split != "train"]
