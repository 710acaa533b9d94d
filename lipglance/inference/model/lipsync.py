"""`LipSync`: the Python API. Speech + one lip or face image -> frames, of any length.

    from lipglance import LipSync
    model = LipSync.from_pretrained()              # the bundled default model
    frames = model.generate("speech.wav", "face.jpg")  # paths, arrays (any rate: sample_rate=) or PIL images
    LipSync.save("out.mp4", frames, "speech.wav")  # the speech file's own sound (or samples + their rate)

The model code does no file I/O (`save` is a helper around lipglance.io). Long audio is
generated in overlapping 16-frame windows (hop 8) that are cross-faded; the log-mel is
computed per window and frames are yielded as soon as they are final, so memory does not
grow with the audio length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from lipglance.audio import AudioStats, log_mel_range
from lipglance.checkpoint import check_generator, load_checkpoint
from lipglance.config import GlanceConfig, load_config
from lipglance.errors import UserError
from lipglance.face import is_lip_crop
from lipglance.inference.faces.find import check_image
from lipglance.inference.model.inputs import (
    AudioInput,
    ImageInput,
    as_audio,
    as_image,
    check_device,
    check_duration,
    check_face_choice,
)
from lipglance.inference.model.threads import one_thread
from lipglance.inference.model.tracks import Tracks
from lipglance.inference.model.windows import crossfade, fit_width, gated_shape, packed
from lipglance.inference.render.closing import close_identity
from lipglance.inference.render.living import LivingFace
from lipglance.inference.render.paste import FaceTarget, find_face, pasted
from lipglance.inference.render.renderers import RENDERERS
from lipglance.inference.render.shape import ShapeWarp, check_amplitude
from lipglance.inference.render.tongue import Tongue
from lipglance.inference.render.tongue import cues as tongue_cues
from lipglance.inference.render.warp import MouthWarp
from lipglance.inference.speech.loudness import normalize_level
from lipglance.inference.speech.pause_gate import closed, pause_weights
from lipglance.io.audio import check_samples
from lipglance.motion import MotionProbe
from lipglance.nn import Generator
from lipglance.pixels import SCALE, to_u8, to_unit

DEFAULT_WEIGHTS = Path(__file__).parent.parent.parent / "assets" / "default.safetensors"
OPEN_PX = 3.0  # inner-lip opening (per 64 px crop) above which a lip crop's mouth is closed before generation


def image_tensor(image: np.ndarray) -> torch.Tensor:
    """uint8 RGB [H, W, 3] -> float [1, 3, H, W] in [-1, 1], the generator's identity input."""
    return to_unit(torch.from_numpy(image.copy()).permute(2, 0, 1))[None]


def video_u8(video: torch.Tensor) -> np.ndarray:
    """Generator output [B, 3, T, H, W] in [-1, 1] -> uint8 frames [B, T, H, W, 3]."""
    return to_u8(video).permute(0, 2, 3, 4, 1).cpu().numpy()


@dataclass(repr=False)
class LipSync(Tracks):
    """A lip-sync model: speech + one lip crop or face photo -> video frames.

    Load it with `LipSync.from_pretrained()` (the bundled model; or a checkpoint path; `device="cuda"` on a GPU).
    `generate(audio, image)` returns every frame as uint8 [N, H, W, 3]; `stream(...)` yields them one by one.
    `audio`: a file path, or samples (NumPy int16/int32/uint8/float, mono or [N, C] / [C, N] channels) at
    `sample_rate=` (default 16000; other rates are resampled). `image`: a file path, a PIL image, or an array
    (grey, RGB or RGBA; uint8, uint16 or float in [0, 1]). A face photo: the largest face is animated
    (`face_index=`, `box=(x, y, w, h)` pick another); a roughly square image up to 160 px is a lip crop.
    Bad input raises lipglance.errors.UserError with a one-line message. `LipSync.save(path, frames, audio)`
    writes an mp4. Dubbing, live audio and onnxruntime are functions over a model, which imports none of them:
    `lipglance.dub(model, ...)`, `lipglance.stream_live(model, ...)`, `lipglance.onnx_model(path)`.
    """

    generator: Generator
    config: GlanceConfig
    audio_stats: AudioStats
    trained: bool = True
    device: str = "cpu"
    motion: MotionProbe | None = None  # animates real photos (lipglance.motion), if the checkpoint holds one
    level: bool = True  # bring speech to the training corpus's level before features (inference/speech/loudness.py)
    # the seal track decides the p/b/m closure and the round track the open mouth's width where the model has them
    # (False: the head's own gate and widths, as live)
    track: bool = True
    pause: bool = True  # shapes close in the recording's own pauses (lipglance.inference.speech.pause_gate)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str = "cpu") -> LipSync:
        """Load generator weights (default: the bundled model) onto `device` ("cpu", "cuda", "cuda:1").
        The networks in onnxruntime instead: `lipglance.onnx_model(path)` (lipglance.inference.onnx.backend)."""
        device = check_device(device)
        ckpt = load_checkpoint(path or DEFAULT_WEIGHTS, kind="generator")
        check_generator(ckpt, path or DEFAULT_WEIGHTS)  # names, shapes, motion probe, audio stats: before building
        gen = Generator(ckpt.config.generator, ckpt.config.audio)
        gen.load_state_dict({k: v for k, v in ckpt.tensors.items() if not k.startswith("motion.")})
        stats = AudioStats.from_dict(ckpt.extra["audio_stats"])
        return cls(gen.eval().to(device), ckpt.config, stats, True, device, MotionProbe.from_tensors(ckpt.tensors))

    @classmethod
    def untrained(cls, preset: str = "tiny", seed: int = 0) -> LipSync:
        """A randomly initialised model (for smoke tests and demos before training)."""
        cfg = load_config(preset)
        torch.manual_seed(seed)
        gen = Generator(cfg.generator, cfg.audio).eval()
        return cls(gen, cfg, AudioStats.identity(cfg.audio.n_mels), trained=False)

    def __repr__(self) -> str:
        params = sum(p.numel() for p in self.generator.parameters()) / 1e6
        photo = "shape" if self.generator.shape_head is not None else "warp" if self.motion is not None else "network"
        state = "" if self.trained else ", UNTRAINED"
        return (f"LipSync({self.config.name!r}, {params:.2f} M parameters, photos: {photo}, "
                f"device={self.device!r}{state})")

    def heard(self, audio: np.ndarray) -> np.ndarray:
        """What the model hears of mono float samples at its rate: the speech brought to the training corpus's
        active-speech level (lipglance.inference.speech.loudness; silence unchanged), unless `level` is False."""
        return normalize_level(audio, self.sample_rate) if self.level else audio

    @property
    def sample_rate(self) -> int:
        return self.config.audio.sample_rate

    @property
    def fps(self) -> int:
        return self.config.audio.fps

    def frame_count(self, n_samples: int) -> int:
        """Video frames for `n_samples` of audio: ceil(duration * fps), at least 1."""
        return max(1, -(-n_samples // (self.sample_rate // self.fps)))

    def prepare(self, image: np.ndarray, face_index: int = 0, close_mouth: bool = True,
                points: np.ndarray | None = None, box: tuple[int, int, int, int] | None = None,
                target: FaceTarget | None = None) -> tuple[np.ndarray, FaceTarget | None]:
        """(64x64 identity crop, face target for paste-back or None) from a lip crop or a face photo.
        With `close_mouth` an open mouth in the image is closed first (lipglance.inference.render.closing), so
        that silence gives closed lips and speech opens them from there. A lip crop's mouth is found by dlib on the
        crop, less surely than on a face; `points` (mouth landmarks 48-67 [20, 2] in the crop's pixels,
        as a preprocessed dataset stores them) are used instead when given. `box` (x, y, w, h) names the face
        of a photo by hand; `target` is the photo's face when it has been found already."""
        size = self.config.generator.image_size
        if check_image(image) and box is None:
            crop = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
            if not close_mouth:
                return crop, None
            if points is not None:
                scale = np.array([size / image.shape[1], size / image.shape[0]])  # x by the width, y by the height
                return close_identity(crop, np.asarray(points, np.float64) * scale), None
            return close_identity(crop, is_open=self._is_open), None
        target = target or find_face(image, face_index, size, box)
        return (close_identity(target.crop, target.points) if close_mouth else target.crop), target

    def _windows(self, n: int) -> int:
        g = self.config.generator
        return max(1, -(-(n - g.frames) // (g.frames // 2)) + 1)

    def _window_mels(self, mel_at: Callable[[int, int], torch.Tensor], n: int,
                     batch: int) -> Iterator[torch.Tensor]:
        """Normalised log-mel batches [B, 1, 4T, n_mels] of the overlapping windows (hop T/2) over `n` frames;
        `mel_at(start, count)` gives raw log-mel frames."""
        t, mpf = self.config.generator.frames, self.config.audio.mels_per_frame
        n_windows = self._windows(n)
        for first in range(0, n_windows, batch):
            idx = range(first, min(first + batch, n_windows))
            yield torch.stack([self.audio_stats.normalize(mel_at(i * (t // 2) * mpf, t * mpf))
                               for i in idx])[:, None].to(self.device)

    @torch.inference_mode()
    def stream_lips(self, audio: np.ndarray, identity: np.ndarray, batch: int = 4) -> Iterator[np.ndarray]:
        """Yield uint8 RGB lip frames [64, 64, 3] for mono `audio` at the model's sample rate."""
        g = self.config.generator
        if identity.shape != (g.image_size, g.image_size, 3) or identity.dtype != np.uint8:
            raise ValueError(f"identity must be uint8 [{g.image_size}, {g.image_size}, 3], got "
                             f"{identity.dtype} {list(identity.shape)}")
        audio = check_samples(audio, self.sample_rate)
        wave = torch.as_tensor(self.heard(audio), dtype=torch.float32)
        yield from self._lips(lambda s, c: log_mel_range(wave, self.config.audio, s, c), self.frame_count(len(audio)),
                              identity, batch)

    def _lips(self, mel_at: Callable[[int, int], torch.Tensor], n: int, identity: np.ndarray,
              batch: int) -> Iterator[np.ndarray]:
        clips = (clip for m in self._window_mels(mel_at, n, batch) for clip in self.generated(m, identity))
        for frame in crossfade(clips, n, self.config.generator.frames):
            yield np.clip(frame, 0, 255).round().astype(np.uint8)

    # The three places the networks are called (the ONNX backend, lipglance/inference/onnx/backend.py, overrides
    # only these): everything around them (windows, cross-fade, gate decision, renderers) is shared.
    def generated(self, mels: torch.Tensor, identity: np.ndarray) -> np.ndarray:
        """The generator's windows for log-mel windows [B, 1, 4T, n_mels] and a uint8 identity: pixel levels
        [B, T, H, W, 3] as floats (0..255, not yet rounded: they are cross-faded first)."""
        ident = image_tensor(identity).to(self.device)
        video = self.generator(mels, ident.expand(len(mels), -1, -1, -1))
        return video.permute(0, 2, 3, 4, 1).add(1).mul(SCALE).detach().float().cpu().numpy()

    def head_parts(self, mels: torch.Tensor) -> np.ndarray:
        """The shape head on log-mel windows [B, 1, 4T, n_mels]: per frame [B, T, 41] the shape before the
        closure gate (flattened), then the gate's logit (`packed`)."""
        head = self.generator.shape_head
        assert head is not None
        encoder = self.generator.audio_encoder
        shapes, logit = head(mels, encoder(mels) if head.needs_shared() else None, parts=True)
        return packed(shapes.detach().float().cpu().numpy(),
                      None if logit is None else logit.detach().float().cpu().numpy())

    def shape_gate(self) -> tuple[bool, float, np.ndarray] | None:
        """The shape head's closure gate: (gated, threshold, closed shape [20, 2]); None without a shape head."""
        head = self.generator.shape_head
        if head is None:
            return None
        return head.gated, float(head.gate_threshold), head.closed_shape.reshape(20, 2).float().cpu().numpy()

    def _cached_mel(self, mel: np.ndarray) -> tuple[Callable[[int, int], torch.Tensor], int]:
        """(mel_at, frames) for a raw log-mel [4T, n_mels] as a cache stores it, silent past its end."""
        g = self.config.generator
        cfg, frames = self.config.audio, max(g.frames, g.seal_track, g.round_track, g.tongue_track)
        pad = np.full((frames * cfg.mels_per_frame, mel.shape[1]), np.log(cfg.log_floor))
        full = torch.from_numpy(np.concatenate([mel, pad]).astype(np.float32))
        return (lambda s, c: full[s:s + c]), len(mel) // cfg.mels_per_frame

    @torch.inference_mode()
    def proxy_frames_of_mel(self, mel: np.ndarray, batch: int = 4) -> np.ndarray:
        """The generator's frames [T, 64, 64, 3] of the motion probe's proxy face for a cached raw log-mel."""
        mel_at, n = self._cached_mel(mel)
        return np.stack(list(self._lips(mel_at, n, self._motion().proxy, batch)))

    def openings_of_mel(self, mel: np.ndarray, batch: int = 4) -> np.ndarray:
        """The motion probe's relative opening per frame [T] for a cached raw log-mel (see `stream_openings`)."""
        return self._motion().relative(self.proxy_frames_of_mel(mel, batch))

    @torch.inference_mode()
    def stream_shapes(self, audio: np.ndarray, batch: int = 16) -> Iterator[np.ndarray]:
        """Yield the shape head's mouth shape per frame: displacements [20, 2] from the rest mouth, in rest
        mouth widths (lipglance.shape), eased to the closed rest mouth in the recording's pauses unless `pause` is
        False (lipglance.inference.speech.pause_gate); needs a model with a shape head."""
        audio = check_samples(audio, self.sample_rate)
        wave = torch.as_tensor(self.heard(audio), dtype=torch.float32)
        n = self.frame_count(len(audio))
        shapes = self._shapes(lambda s, c: log_mel_range(wave, self.config.audio, s, c), n, batch)
        if not self.pause:
            yield from shapes
            return
        weights = pause_weights(audio, self.sample_rate, n, self.fps)
        for shape, weight in zip(shapes, weights, strict=True):
            yield closed(shape, float(weight))

    @torch.inference_mode()
    def stream_tongues(self, audio: np.ndarray, batch: int = 16) -> Iterator[Tongue]:
        """Yield the tongue track's cue per frame from the sound alone (the tip raised on l, lipglance.inference.
        render.tongue; `lipglance seal --tongue`); nothing when the model has no fitted tongue track."""
        frames = self.tongue_frames()
        if not frames:
            return
        audio = check_samples(audio, self.sample_rate)
        wave = torch.as_tensor(self.heard(audio), dtype=torch.float32)
        yield from self._tongues(lambda s, c: log_mel_range(wave, self.config.audio, s, c),
                                 self.frame_count(len(audio)), batch)

    def transcript_shapes(self, audio: np.ndarray, transcript: str) -> np.ndarray:
        """Mouth shapes [N, 20, 2] (one per frame, as `stream_shapes`) of `transcript` force-aligned to mono
        `audio` at the model's rate (lipglance.inference.speech.transcript); UserError if it cannot be aligned."""
        return self.transcript_cues(audio, transcript)[0]

    def transcript_cues(self, audio: np.ndarray, transcript: str) -> tuple[np.ndarray, list[Tongue]]:
        """`transcript_shapes` and, per frame, the tongue cue of its phone (th: the tip between the teeth, l: raised;
        lipglance.inference.render.tongue), from one alignment."""
        from lipglance.inference.speech.transcript import LEAD, aligned_phones, transcript_shapes

        audio = check_samples(audio, self.sample_rate)
        phones, n = aligned_phones(audio, self.sample_rate, transcript), self.frame_count(len(audio))
        return transcript_shapes(phones, n, LEAD), tongue_cues(phones, n, self.fps, LEAD)

    @torch.inference_mode()
    def shapes_of_mel(self, mel: np.ndarray, batch: int = 16) -> np.ndarray:
        """The shape head's shapes [T, 20, 2] for a raw log-mel [4T, n_mels] as a cache stores it."""
        mel_at, n = self._cached_mel(mel)
        return np.stack(list(self._shapes(mel_at, n, batch)))

    @torch.inference_mode()
    def gate_logits_of_mel(self, mel: np.ndarray, batch: int = 16) -> np.ndarray:
        """The shape head's closure-gate logit per frame [T] (cross-faded, as the renderer sees it) for a raw
        log-mel [4T, n_mels] as a cache stores it."""
        mel_at, n = self._cached_mel(mel)
        return np.array([f[40] for f in self._shape_parts(mel_at, n, batch)])

    def _shapes(self, mel_at: Callable[[int, int], torch.Tensor], n: int, batch: int) -> Iterator[np.ndarray]:
        gate = self.shape_gate()
        if gate is None:
            raise UserError("this model has no shape head: train one with `lipglance train shape`")
        gain = self.config.generator.shape_width_gain
        widths = one_thread(self._round_widths(mel_at, n, batch)) if self.round_frames() else None
        rest_x = self.round_rest() if widths is not None else None
        for frame in one_thread(self._shape_parts(mel_at, n, batch)):
            shape = gated_shape(frame, *gate, gain)
            if widths is not None and rest_x is not None:
                width = next(widths)
                if not (gate[0] and frame[40] > gate[1]):  # a sealed frame keeps the closed shape
                    shape = fit_width(shape, width, rest_x)
            yield shape

    def _shape_parts(self, mel_at: Callable[[int, int], torch.Tensor], n: int, batch: int) -> Iterator[np.ndarray]:
        """Per frame [41]: the shape head's shape before its closure gate (flattened), then the gate's logit
        (0 without a gate); both cross-faded between windows, so the gate decides on the blended logit."""
        chunks = (c for m in self._window_mels(mel_at, n, batch) for c in self.head_parts(m))
        frames = crossfade(chunks, n, self.config.generator.frames)
        track = self.track_frames()
        if not track:
            yield from frames
            return
        shift = self.track_shift()  # the track's logit, moved onto the gate's threshold
        for frame, logit in zip(frames, self._run(mel_at, n, track, batch, self.track_logits), strict=True):
            frame[40] = logit + shift
            yield frame

    def _is_open(self, crop: np.ndarray) -> bool:
        """Whether a lip crop's mouth is open, as the motion probe reads it (True without a probe)."""
        if self.motion is None:
            return True
        return bool(self.motion.probe(crop[None])[0] > OPEN_PX * crop.shape[0] / 64)

    def stream_openings(self, audio: np.ndarray) -> Iterator[float]:
        """Yield the generator's mouth opening per frame, as a share of the mouth width (needs `motion`)."""
        motion = self._motion()
        for frame in self.stream_lips(audio, motion.proxy):
            yield float(motion.relative(frame[None])[0])

    def _motion(self) -> MotionProbe:
        if self.motion is None:
            raise UserError("this model holds no motion probe, so it cannot animate a photo's own lips: "
                            "add one with `lipglance motion`, or use renderer='network'")
        return self.motion

    def renderer(self, image: np.ndarray, renderer: str = "auto", photo: bool = False) -> str:
        """Which renderer `stream` uses for this image ("shape", "warp" or "network"); `photo`: a face photo
        even if it is as small as a lip crop (a face box was given)."""
        if renderer not in RENDERERS:
            raise UserError(f"unknown renderer '{renderer}' (choose from {', '.join(RENDERERS)})")
        if renderer == "auto":
            if is_lip_crop(image) and not photo:
                return "network"
            return "shape" if self.generator.shape_head is not None else "warp" if self.motion is not None \
                else "network"
        if renderer == "warp":
            self._motion()
        if renderer == "shape" and self.generator.shape_head is None:
            raise UserError("this model has no shape head, so it cannot drive the shape renderer: train one with "
                            "`lipglance train shape`, or use renderer='warp' or renderer='network'")
        return renderer

    def stream(self, audio: AudioInput, image: ImageInput, *, face_index: int = 0, lips_only: bool = False,
               close_mouth: bool = True, renderer: str = "auto", box: tuple[int, int, int, int] | None = None,
               sample_rate: int | None = None, still: bool = False, seed: int = 0,
               transcript: str | None = None, amplitude: float = 1.0,
               keep_expression: bool = False) -> Iterator[np.ndarray]:
        """Yield output frames: the photo with moving lips (or 64x64 lips). The "network" renderer pastes the
        generator's lips back; the "warp" renderer moves the photo's own lips by the generator's motion.
        `face_index` picks a face (0 = largest; `lipglance faces` lists them), `box` (x, y, w, h) gives one.
        A face photo also blinks and sways a little with the speech (lipglance.inference.render.living; `seed` draws
        when), unless `still`. `transcript`: the words spoken; the shape renderer then follows their
        force-aligned phones instead of the shape head (lipglance.inference.speech.transcript; needs pocketsphinx and
        the whole audio at once). The shape renderer lowers the jaw with the opening and scales the movement by
        `amplitude` (1: calibrated to speech; lipglance.inference.render.shape); a grinning photo relaxes its grin
        while it speaks unless `keep_expression` (lipglance.inference.render.expression).
        See the class docstring for what `audio`, `sample_rate` and `image` may be."""
        pairs = self.stream_pairs(audio, image, face_index=face_index, close_mouth=close_mouth, renderer=renderer,
                                  box=box, sample_rate=sample_rate, still=still or lips_only, seed=seed,
                                  transcript=transcript, amplitude=amplitude, keep_expression=keep_expression)
        return (lips if lips_only else frame for frame, lips in pairs)

    def stream_pairs(self, audio: AudioInput, image: ImageInput, *, face_index: int = 0, close_mouth: bool = True,
                     renderer: str = "auto", box: tuple[int, int, int, int] | None = None,
                     sample_rate: int | None = None, still: bool = False, seed: int = 0,
                     transcript: str | None = None, amplitude: float = 1.0,
                     keep_expression: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (output frame, its 64x64 lips, taken before the living face moves it) pairs; see `stream`."""
        face_index, box = check_face_choice(face_index, box)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise UserError(f"seed={seed!r}: give a whole number >= 0")
        audio = check_duration(as_audio(audio, self.sample_rate, sample_rate), self.sample_rate, self.fps)
        image = as_image(image)
        check_amplitude(amplitude)
        chosen = self.renderer(image, renderer, photo=box is not None)
        if transcript is not None and chosen != "shape":
            raise UserError(f"a transcript drives the shape renderer, not the {chosen} renderer: use "
                            "renderer='shape', or leave the transcript out")
        crop = check_image(image) and box is None
        face = None if crop else find_face(image, face_index, self.config.generator.image_size, box)
        pairs = self._rendered(audio, image, face_index, close_mouth, chosen, box, face, transcript,
                               (amplitude, keep_expression))
        if still or face is None or face.face is None:
            return pairs
        living = LivingFace.for_face(face.face, face.photo)
        return ((living.apply(f, move), lips) for (f, lips), move in
                zip(pairs, living.moves(audio, self.sample_rate, self.fps, seed), strict=False))

    def _rendered(self, audio: np.ndarray, image: np.ndarray, face_index: int, close_mouth: bool, chosen: str,
                  box: tuple[int, int, int, int] | None, face: FaceTarget | None,
                  transcript: str | None = None,
                  tuning: tuple[float, bool] = (1.0, False)) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if chosen == "shape":
            shapes: Iterable[np.ndarray]
            tongues: Iterable[Tongue] | None = None
            if transcript is None:
                shapes, tongues = self.stream_shapes(audio), self.stream_tongues(audio)
            else:
                shapes, tongues = self.transcript_cues(audio, transcript)
            shaped = self.prepare_warp(image, face_index, ShapeWarp, box, target=face)
            assert isinstance(shaped, ShapeWarp)
            shaped = shaped.tuned(*tuning)
            return ((f, shaped.lips(f)) for f in shaped.frames(shapes, self.fps, tongues))
        if chosen == "warp":
            warp = self.prepare_warp(image, face_index, box=box, target=face)
            return ((f, warp.lips(f)) for f in (warp.frame(r) for r in self.stream_openings(audio)))
        identity, target = self.prepare(image, face_index, close_mouth, box=box, target=face)
        lips = self.stream_lips(audio, identity)
        if target is None:
            return ((f, f) for f in lips)
        return pasted(target, lips)

    def prepare_warp(self, image: np.ndarray, face_index: int = 0, kind: type[MouthWarp] = MouthWarp,
                     box: tuple[int, int, int, int] | None = None, target: FaceTarget | None = None) -> MouthWarp:
        """The mouth of a face photo (or of a lip crop, read by dlib) for the warp (or shape) renderer; `target`:
        the photo's face, when found already."""
        if check_image(image) and box is None:
            return kind.for_crop(image)
        return kind.for_photo(target or find_face(image, face_index, self.config.generator.image_size, box))

    def generate(self, audio: AudioInput, image: ImageInput, *, face_index: int = 0, lips_only: bool = False,
                 close_mouth: bool = True, renderer: str = "auto", box: tuple[int, int, int, int] | None = None,
                 sample_rate: int | None = None, still: bool = False, seed: int = 0,
                 transcript: str | None = None, amplitude: float = 1.0, keep_expression: bool = False) -> np.ndarray:
        """All output frames at once: uint8 [N, H, W, 3]; see `stream` (`transcript`: the words spoken)."""
        return np.stack(list(self.stream(audio, image, face_index=face_index, lips_only=lips_only,
                                         close_mouth=close_mouth, renderer=renderer, box=box,
                                         sample_rate=sample_rate, still=still, seed=seed, transcript=transcript,
                                         amplitude=amplitude, keep_expression=keep_expression)))

    @staticmethod
    def save(path: str | Path, frames: Iterable[np.ndarray], audio: np.ndarray | str | Path | None = None,
             sample_rate: int = 16000, fps: int = 25, crf: int = 18) -> int:
        """Write frames + audio as H.264/AAC .mp4 (or .m4v, .mov; another extension is refused), creating a missing
        folder (a helper; the model itself does no I/O). `audio`: samples at `sample_rate`, the speech file itself
        (written at its own rate and channels, lipglance.io.soundtrack), or None for a silent video."""
        from lipglance.inference.model.save import save_video

        return save_video(path, frames, audio, sample_rate, fps, crf)
