"""Reference: how well pocketsphinx's phone recogniser finds p/b/m in the held-out-voice test clips.

    .venv/bin/pip install -e '.[transcript]'   # pocketsphinx (scripts/setup.sh installs it)
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python research/seal_reference_sphinx.py --data data/open \\
        --limit 360 --out docs/sync_ablations/sphinx_reference

Re-speaks each test clip's sentence (lipglance.synth.tts.synthesize with the clip's voice, rate and pitch), so the
audio and its phone timing (the Speech's own phone list) are known exactly, and runs pocketsphinx 5's allphone
search with the bundled en-us acoustic model and en-us-phone.lm.bin (a recogniser trained on real speech of many
speakers). Truth: lipglance.synth.articulation.BILABIAL phones (p, b, m); false closures: frames of
lipglance.synth.phonemes.VOWELS phones. Writes OUT.json and OUT.md: phone-level recall (a recognised P/B/M segment
overlaps the true phone's middle 50%), frame-level recall and vowel false rate at 100 frames/s, each also per
p, b and m, and the median boundary offset recogniser - truth.

--mode words (OUT default docs/sync_ablations/sphinx_words): ordinary word recognition with the bundled large
vocabulary model (pocketsphinx defaults: en-us.lm.bin, cmudict-en-us.dict), then forced alignment of the RECOGNISED
word string against the same audio (set_align_text + set_alignment second pass) for the phones of the recognised
words: what an ASR with a lexicon and an LM recovers with no transcript given. Also reports how many of the clip's
true words were recognised (bag-of-words overlap and word error rate). --mode text (OUT default
docs/sync_ablations/sphinx_text): forced alignment of the TRUE transcript (item meta `text`), the upper bound when
the user supplies the text. --lw/--pip only apply to allphone; the other modes use pocketsphinx's defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import numpy as np
from pocketsphinx import Config, Decoder, get_model_path

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.inference.speech.transcript import align_segments
from lipglance.inference.speech.transcript import aligner as make_aligner
from lipglance.synth.align import pcm16
from lipglance.synth.articulation import BILABIAL
from lipglance.synth.phonemes import VOWELS
from lipglance.synth.tts import SAMPLE_RATE, Phone, Speech, synthesize

FRATE = 100  # pocketsphinx frames per second
# Frame i analyses samples [160 i, 160 i + 410) (25.6 ms window): its centre in seconds.
WINDOW_CENTRE = 205 / 16000
SPHINX_BILABIAL = {"P", "B", "M"}
MODES = ("allphone", "words", "text")
DEFAULT_OUT = {"allphone": "docs/sync_ablations/sphinx_reference", "words": "docs/sync_ablations/sphinx_words",
               "text": "docs/sync_ablations/sphinx_text"}
FILLERS = {"<s>", "</s>", "<sil>"}


def make_decoder(lw: float, pip: float) -> Decoder:
    """Allphone decoder with the wheel's bundled US English model and phone language model."""
    model = get_model_path()
    cfg = Config(hmm=os.path.join(model, "en-us", "en-us"), allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
                 lm=None, dict=None, lw=lw, pip=pip, beam=1e-20, pbeam=1e-20, loglevel="ERROR")
    return Decoder(cfg)


def make_word_decoder() -> Decoder:
    """Large-vocabulary word decoder: the wheel's bundled en-us model, en-us.lm.bin and cmudict-en-us.dict."""
    model = os.path.join(get_model_path(), "en-us")
    cfg = Config(hmm=os.path.join(model, "en-us"), lm=os.path.join(model, "en-us.lm.bin"),
                 dict=os.path.join(model, "cmudict-en-us.dict"), loglevel="ERROR")
    return Decoder(cfg)


def to_pcm16k(speech: Speech) -> bytes:
    """16 kHz mono little-endian int16 (glance's TTS audio is already float32 at 16 kHz)."""
    if SAMPLE_RATE != 16000:
        from scipy.signal import resample_poly

        g = np.gcd(SAMPLE_RATE, 16000)
        wave = resample_poly(speech.wave, 16000 // g, SAMPLE_RATE // g)
    else:
        wave = speech.wave
    return pcm16(wave)


def recognise(decoder: Decoder, pcm: bytes) -> list[tuple[str, int, int]]:
    """Phone segments (label, first frame, last frame inclusive) for one whole utterance."""
    decoder.start_utt()
    decoder.process_raw(pcm, no_search=False, full_utt=True)
    decoder.end_utt()
    return [(seg.word, int(seg.start_frame), int(seg.end_frame)) for seg in decoder.seg()]


def recognise_words(pcm: bytes) -> list[str]:
    """Recognised words of one whole utterance (fillers and pronunciation variant suffixes removed)."""
    decoder = make_word_decoder()
    decoder.start_utt()
    decoder.process_raw(pcm, no_search=False, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return [] if hyp is None else [w for w in hyp.hypstr.split() if w not in FILLERS and not w.startswith("[")]


def align(pcm: bytes, words: list[str]) -> list[tuple[str, int, int]] | None:
    """Phone segments (label, first frame, last frame inclusive) of `words` force-aligned to the audio.

    A fresh decoder (lipglance.inference.speech.transcript, as `lipglance generate --transcript` aligns): word-level
    alignment
    pass, then the sub-word (phone) alignment pass. None if it fails.
    """
    if not words:
        return []
    try:
        segs = align_segments(make_aligner(), pcm, words)
    except UserError:
        return None
    return [(name, start, start + count - 1) for name, start, count in segs]


def word_errors(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists (substitutions + deletions + insertions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def frame_labels(segs: list[tuple[str, int, int]], n: int) -> np.ndarray:
    """Recognised label per frame ('' where no segment covers it)."""
    out = np.full(n, "", dtype=object)
    for word, a, b in segs:
        out[max(0, a):min(n, b + 1)] = word
    return out


def truth_labels(phones: list[Phone], n: int) -> np.ndarray:
    """True canonical phone at each frame's window centre ('' outside every phone)."""
    centres = np.arange(n) / FRATE + WINDOW_CENTRE
    out = np.full(n, "", dtype=object)
    for p in phones:
        out[(centres >= p.start) & (centres < p.end)] = p.canon
    return out


def mid_hit(p: Phone, segs: list[tuple[str, int, int]], labels: set[str]) -> bool:
    """Whether a segment labelled in `labels` overlaps the middle 50% of phone `p`."""
    q = (p.end - p.start) / 4
    lo, hi = p.start + q, p.end - q
    return any(w in labels and a / FRATE < hi and (b + 1) / FRATE > lo for w, a, b in segs)


def share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def measure(items: list[dict], lw: float, pip: float, show: int, mode: str = "allphone") -> dict[str, object]:
    """Synthesize, recognise and score every item.

    A fresh decoder per clip: a reused one carries state (CMN) from the previous utterance into the next,
    which changes its phones (and would make the result depend on the clip order).
    """
    true_words = rec_words = matched_words = edit_errors = exact_clips = failed = 0
    oov: Counter[str] = Counter()
    lookup = make_aligner() if mode == "text" else None
    phone_hit = {k: [0, 0] for k in BILABIAL}  # [hits, total]
    phone_exact = {k: 0 for k in BILABIAL}  # recognised as the same bilabial
    frame_hit = {k: [0, 0] for k in BILABIAL}
    vowel_frames = [0, 0]
    vowel_phones = [0, 0]
    other_frames = [0, 0]  # non-bilabial, non-vowel speech frames
    rec_bilabial_frames = [0, 0]  # [on a true bilabial, all recognised P/B/M frames]
    confusion: dict[str, Counter[str]] = {k: Counter() for k in BILABIAL}  # label at the phone's middle
    start_off: list[float] = []
    end_off: list[float] = []
    n_phones = n_frames = 0
    for k, item in enumerate(items):
        m = item["meta"]
        speech = synthesize(str(m["text"]), str(m["voice"]), float(m["rate"]), float(m["pitch"]))
        pcm = to_pcm16k(speech)
        heard: list[str] = []
        if mode == "allphone":
            segs = recognise(make_decoder(lw, pip), pcm)
        else:
            truth = str(m["text"]).lower().split()
            if mode == "words":
                heard = recognise_words(pcm)
                words = heard
                true_words += len(truth)
                rec_words += len(heard)
                matched_words += sum((Counter(truth) & Counter(heard)).values())
                edit_errors += word_errors(truth, heard)
                exact_clips += heard == truth
            else:
                missing = [w for w in truth if lookup is not None and lookup.lookup_word(w) is None]
                oov.update(missing)
                words = [w for w in truth if w not in missing]
            aligned = align(pcm, words)
            failed += aligned is None
            segs = aligned or []
        n = int(len(speech.wave) * FRATE // SAMPLE_RATE)
        rec, tru = frame_labels(segs, n), truth_labels(speech.phones, n)
        rec_b = np.isin(rec, list(SPHINX_BILABIAL))
        n_frames += n
        for ph in BILABIAL:
            on = tru == ph
            frame_hit[ph][0] += int((rec_b & on).sum())
            frame_hit[ph][1] += int(on.sum())
        vow = np.isin(tru, list(VOWELS))
        vowel_frames[0] += int((rec_b & vow).sum())
        vowel_frames[1] += int(vow.sum())
        oth = (tru != "") & (tru != "sil") & ~vow & ~np.isin(tru, list(BILABIAL))
        other_frames[0] += int((rec_b & oth).sum())
        other_frames[1] += int(oth.sum())
        rec_bilabial_frames[0] += int((rec_b & np.isin(tru, list(BILABIAL))).sum())
        rec_bilabial_frames[1] += int(rec_b.sum())
        for p in speech.phones:
            if p.canon == "sil":
                continue
            n_phones += 1
            if p.canon in VOWELS:
                vowel_phones[0] += mid_hit(p, segs, SPHINX_BILABIAL)
                vowel_phones[1] += 1
            if p.canon not in BILABIAL:
                continue
            phone_hit[p.canon][1] += 1
            mid = (p.start + p.end) / 2 * FRATE
            confusion[p.canon][next((w for w, a, b in segs if a <= mid < b + 1), "-")] += 1
            if mid_hit(p, segs, SPHINX_BILABIAL):
                phone_hit[p.canon][0] += 1
                phone_exact[p.canon] += mid_hit(p, segs, {p.canon.upper()})
                q = (p.end - p.start) / 4
                best = [(w, a, b) for w, a, b in segs
                        if w in SPHINX_BILABIAL and a / FRATE < p.end - q and (b + 1) / FRATE > p.start + q]
                _, a, b = best[0]
                start_off.append(a / FRATE - p.start)
                end_off.append((b + 1) / FRATE - p.end)
        if k < show:
            print(f"[{k}] {m['text']!r}")
            print("  true:", " ".join(p.canon for p in speech.phones))
            print("  sphx:", " ".join(w.lower() for w, _, _ in segs))
            if mode == "words":
                print("  words:", " ".join(heard))
    hits = sum(v[0] for v in phone_hit.values())
    total = sum(v[1] for v in phone_hit.values())
    fh = sum(v[0] for v in frame_hit.values())
    ft = sum(v[1] for v in frame_hit.values())
    extra: dict[str, object] = {}
    if mode == "words":
        extra = {"n_true_words": true_words, "n_recognised_words": rec_words,
                 "true_word_recall_bag": share(matched_words, true_words),
                 "recognised_word_precision_bag": share(matched_words, rec_words),
                 "word_error_rate": share(edit_errors, true_words),
                 "clips_exactly_right": share(exact_clips, len(items)), "alignment_failures": failed}
    elif mode == "text":
        extra = {"oov_words": dict(oov.most_common()), "alignment_failures": failed}
    return {
        **extra,
        "n_clips": len(items), "n_phones": n_phones, "n_frames": n_frames,
        "n_bilabial_phones": total, "n_bilabial_frames": ft, "n_vowel_phones": vowel_phones[1],
        "n_vowel_frames": vowel_frames[1],
        "phone_recall": share(hits, total),
        "phone_recall_exact_label": share(sum(phone_exact.values()), total),
        "frame_recall": share(fh, ft),
        "vowel_frame_false_rate": share(*vowel_frames),
        "vowel_phone_false_rate": share(*vowel_phones),
        "other_consonant_frame_false_rate": share(*other_frames),
        "frame_precision": share(*rec_bilabial_frames),
        "per_phone": {ph: {"phones": phone_hit[ph][1], "frames": frame_hit[ph][1],
                           "phone_recall": share(*phone_hit[ph]),
                           "phone_recall_exact_label": share(phone_exact[ph], phone_hit[ph][1]),
                           "frame_recall": share(*frame_hit[ph]),
                           "label_at_middle": dict(confusion[ph].most_common())} for ph in BILABIAL},
        "median_start_offset_s": round(float(np.median(start_off)), 4) if start_off else None,
        "median_end_offset_s": round(float(np.median(end_off)), 4) if end_off else None,
    }


def write_md(res: dict, path: Path) -> None:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    rows = [
        "| phones | n phones | phone recall | frame recall | recognised at the phone's middle |",
        "|---|---:|---:|---:|---|",
        f"| p/b/m | {res['n_bilabial_phones']} | {pct(res['phone_recall'])} | {pct(res['frame_recall'])} | |",
    ]
    for ph, v in res["per_phone"].items():
        top = ", ".join(f"{w} {c}" for w, c in list(v["label_at_middle"].items())[:4])
        rows.append(f"| {ph} | {v['phones']} | {pct(v['phone_recall'])} | {pct(v['frame_recall'])} | {top} |")
    mode = res.get("mode", "allphone")
    clips = (f"on {res['n_clips']} re-synthesized test clips of `{res['data']}` (voice {', '.join(res['voices'])}); "
             f"{res['n_frames']} frames at 100/s, {res['n_phones']} speech phones.")
    if mode == "words":
        head = [
            "# Reference: pocketsphinx word recognition + forced alignment, p/b/m (held-out voice)",
            "",
            f"pocketsphinx {res['pocketsphinx_version']} word recognition with the bundled large vocabulary model "
            "(en-us acoustic model, en-us.lm.bin, cmudict-en-us.dict, default settings), then forced alignment "
            "(set_align_text + set_alignment) of the recognised words to the same audio for their phones; no "
            f"transcript given; {clips}",
            "",
            f"Words: {pct(res['true_word_recall_bag'])} of the {res['n_true_words']} true words recognised "
            f"(bag-of-words overlap per clip), {pct(res['recognised_word_precision_bag'])} of the "
            f"{res['n_recognised_words']} recognised words are true ones; word error rate "
            f"{pct(res['word_error_rate'])}; clips exactly right {pct(res['clips_exactly_right'])}; "
            f"alignment failures {res['alignment_failures']}.",
            "",
        ]
    elif mode == "text":
        oov = res["oov_words"]
        head = [
            "# Reference: pocketsphinx forced alignment of the true transcript, p/b/m (held-out voice)",
            "",
            f"pocketsphinx {res['pocketsphinx_version']} forced alignment (set_align_text + set_alignment, en-us "
            f"acoustic model, cmudict-en-us.dict) of each clip's TRUE text: the upper bound when the user supplies "
            f"the transcript; {clips}",
            "",
            f"Words missing from the dictionary (left out of the alignment): "
            f"{', '.join(f'{w} {c}' for w, c in oov.items()) or 'none'}; alignment failures "
            f"{res['alignment_failures']}.",
            "",
        ]
    else:
        head = [
            "# Reference: pocketsphinx phone recognition of p/b/m (held-out voice)",
            "",
            f"pocketsphinx {res['pocketsphinx_version']} allphone search (bundled en-us model, en-us-phone.lm.bin, "
            f"lw {res['lw']}, pip {res['pip']}) {clips}",
            "",
        ]
    text = "\n".join([
        *head,
        *rows,
        "",
        f"False P/B/M on vowels: {pct(res['vowel_frame_false_rate'])} of vowel frames "
        f"({res['n_vowel_frames']}), {pct(res['vowel_phone_false_rate'])} of vowel phones (middle 50% overlapped); "
        f"{pct(res['other_consonant_frame_false_rate'])} of other consonant frames. "
        f"Frame precision of P/B/M: {pct(res['frame_precision'])}. "
        f"Phone recall with the exact bilabial (P for p, ...): {pct(res['phone_recall_exact_label'])}.",
        "",
        f"Phone recall: a recognised P, B or M segment overlaps the true phone's middle 50%. Median boundary offset "
        f"(recogniser - truth) of hit segments: start {1000 * res['median_start_offset_s']:+.0f} ms, "
        f"end {1000 * res['median_end_offset_s']:+.0f} ms. Wall time {res['wall_s']:.0f} s.",
        "",
        f"`{res['command']}`",
        "",
    ])
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/open")
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=120, help="clips (the first N of the split)")
    ap.add_argument("--mode", choices=MODES, default="allphone",
                    help="allphone: phone recognition; words: word recognition + forced alignment of the recognised "
                         "words; text: forced alignment of the true transcript")
    ap.add_argument("--lw", type=float, default=2.0, help="language weight of the phone LM (allphone only)")
    ap.add_argument("--pip", type=float, default=1.0, help="phone insertion penalty (allphone only)")
    ap.add_argument("--show", type=int, default=3, help="print true vs recognised phones of the first N clips")
    ap.add_argument("--out", default=None, help="output stem (default: per mode, " + ", ".join(
        f"{k}: {v}" for k, v in DEFAULT_OUT.items()) + ")")
    args = ap.parse_args()
    if args.out is None:
        args.out = DEFAULT_OUT[args.mode]
    items = Cache(args.data).split(args.split)[: args.limit]
    t0 = time.time()
    res = measure(items, args.lw, args.pip, args.show, args.mode)
    setting = (f"--lw {args.lw} --pip {args.pip}" if args.mode == "allphone" else f"--mode {args.mode}")
    mode: dict[str, object] = {"lw": args.lw, "pip": args.pip} if args.mode == "allphone" else {"mode": args.mode}
    res = {"data": args.data, "split": args.split, "voices": sorted({str(i["meta"]["voice"]) for i in items}),
           "pocketsphinx_version": version("pocketsphinx"), **mode,
           "wall_s": round(time.time() - t0, 1),
           "command": (f".venv/bin/python research/seal_reference_sphinx.py --data {args.data} --split {args.split} "
                       f"--limit {args.limit} {setting} --out {args.out}"), **res}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    write_md(res, out.with_suffix(".md"))
    print(json.dumps({k: v for k, v in res.items() if k != "per_phone"}, indent=1))
    print(json.dumps(res["per_phone"], indent=1))


if __name__ == "__main__":
    main()
