"""Every setting of glance in one typed place: network sizes, loss weights, training.

A preset is a `GlanceConfig` value (`paper`, `small`, `tiny`); an ablation or experiment is
a small TOML diff over a preset (`lipglance/configs/*.toml`). Resolve with `load_config`:

    load_config("tiny")                  # a preset
    load_config("paper+e")               # preset + shipped ablation config (e) = full model
    load_config("tiny+b+code_weights")   # several shipped configs, applied left to right
    load_config("my_experiment.toml")    # a TOML file whose `base` names a preset[+ablation]
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_DIR = Path(__file__).parent / "configs"


class ConfigError(ValueError):
    """A config name, file or override that cannot be resolved."""


@dataclass(frozen=True)
class AudioConfig:
    """Log-mel features: exactly `mels_per_frame` mel frames per video frame (hop = sr / (fps * 4))."""

    sample_rate: int = 16000
    n_fft: int = 1024
    n_mels: int = 128
    fps: int = 25
    mels_per_frame: int = 4
    fmin: float = 0.0
    fmax: float | None = None  # None = sample_rate / 2
    log_floor: float = 1e-5

    @property
    def hop_length(self) -> int:
        hop, rest = divmod(self.sample_rate, self.fps * self.mels_per_frame)
        if rest:
            raise ConfigError(f"sample_rate {self.sample_rate} is not a multiple of fps*mels_per_frame")
        return hop


@dataclass(frozen=True)
class GeneratorConfig:
    """Audio encoder E_s + identity encoder E_p + 3D fusion + 3D residual decoder (docs/DESIGN.md, Generator)."""

    frames: int = 16
    image_size: int = 64
    audio_channels: tuple[int, ...] = (32, 64, 128, 256, 256)
    identity_channels: tuple[int, ...] = (64, 128, 256)
    fusion_channels: int = 256
    res_blocks: int = 9
    up_channels: tuple[int, ...] = (128, 64)
    out_kernel: int = 7
    upsample: Literal["transpose", "resize"] = "transpose"  # "resize": nearest + conv, no checkerboard
    identity_skips: bool = False  # beyond the paper: E_p's 1/2-res features feed the decoder; output = p + change
    # Beyond the paper, with identity_skips: 0..1, how far the mouth of the identity is replaced by its mean
    # colour in the skip/residual path (E_p's 16x16 fusion path still sees it whole); 1 = the mouth is drawn
    # from the audio, as Wav2Lip masks the lower face of its pose frame.
    mouth_mask: float = 0.0
    # Beyond the paper: a shape head on E_s's features predicts, per frame, this many PCA coefficients of
    # the mouth's 20 landmarks (lipglance.shape); 0 = no head. It drives the shape renderer of real photos.
    shape_components: int = 0
    shape_hidden: int = 64
    # "shared": the head reads E_s itself (frozen in the shape stage; trained with E_s when losses.shape > 0 in the
    # GAN stage); "own": the head has its own copy of E_s, started from the trained E_s and fine-tuned for shape
    # in the shape stage, so the decoder's E_s stays as the GAN left it
    shape_encoder: Literal["shared", "own"] = "shared"
    # a closure gate: one more output per frame, the logit that a p/b/m seals the lips; where it fires, the
    # frame's shape is replaced by the mean sealed shape of the corpus (a regression alone averages the short
    # seals away). Trained in the shape stage with a cross-entropy of weight train.shape_gate.
    shape_gate: bool = True
    # with shape_encoder "own": subtract each window's mean log-mel per band before the head's encoder (a
    # per-window cepstral-mean-like normalisation, so a voice's spectral tilt and level matter less)
    shape_cmn: bool = False
    # with shape_gate: the closure logit comes from a seal detector of its own on the window's log-mel
    # (lipglance.nn.seal) instead of one more output of the shape network on E_s features
    shape_seal: bool = False
    # a seal track (lipglance.nn.seal.SealTrack): a recurrent seal detector over chunks of this many frames (0: none;
    # even, >= 8), fitted onto a trained shape head by `lipglance seal`; where it holds weights, whole-recording
    # inference takes the closure decision from it instead of the gate's window logit
    seal_track: int = 0
    # a round track (lipglance.nn.seal.RoundTrack): the seal track's network regressing the mouth's width over chunks
    # of this many frames (0: none; even, >= 8), fitted by `lipglance seal --round`; where it holds weights,
    # whole-recording inference scales each open frame's shape horizontally to its width (seals, openings untouched)
    round_track: int = 0
    # a tongue track (lipglance.nn.seal.SealTrack's network detecting the tongue's tip raised, l) over chunks of this
    # many frames (0: none; even, >= 8), fitted by `lipglance seal --tongue`; where it holds weights, whole-recording
    # inference draws the raised tip (lipglance.inference.render.tongue) where it fires, as the transcript path does
    tongue_track: int = 0
    # inference only: the shape head's predicted horizontal displacements (rounding, spreading) are multiplied by this
    # about the rest mouth. A regression under-draws the width's range (rounding) even on its training clips; this
    # factor matches the predicted width's spread to the truth's on a synthetic training split
    # (scripts/calibrate_width.py, docs/sync_ablations/README.md, "Width calibration"); 1 = as the head predicts
    shape_width_gain: float = 1.0


@dataclass(frozen=True)
class DiscriminatorConfig:
    """Three-stream (audio, video, motion) or two-stream (audio, video) conditional D."""

    kind: Literal["three_stream", "two_stream", "none"] = "three_stream"
    audio_channels: tuple[int, ...] = (32, 64, 128, 256)
    audio_embed: int = 256
    audio_pool: int = 0  # 0 = flatten the full map (paper); k > 0 = adaptive-pool to k x k first
    video_channels: tuple[int, ...] = (64, 128, 256, 256)
    motion_channels: tuple[int, ...] = (64, 128, 256, 256)
    head_channels: int = 512


@dataclass(frozen=True)
class FlowConfig:
    """FlowNetS-style flow net; flow at 1/4 resolution for every consecutive frame pair."""

    width: int = 64  # FlowNetS: conv1 has `width` channels, conv6 has 16 * width
    div_flow: float = 20.0
    scale_weights: tuple[float, ...] = (0.005, 0.01, 0.02, 0.08, 0.32)  # flow2 (finest) .. flow6
    # OpenCV Farneback pseudo ground truth: pyr_scale, levels, winsize, iterations, poly_n, poly_sigma
    farneback: tuple[float, int, int, int, int, float] = (0.5, 3, 15, 3, 5, 1.2)


@dataclass(frozen=True)
class CorrelationConfig:
    """phi_s (audio-derivative encoder) and phi_v (motion encoder) of the correlation loss."""

    audio_channels: tuple[int, ...] = (128, 64, 32, 16)
    motion_channels: tuple[int, ...] = (4, 8, 16, 16)
    # "cosine": the paper's correlation (phi_s / phi_v end in ReLU; can collapse to constants). "pearson"
    # (beyond the paper; pearson.toml, and the small / tiny presets): mean-centred over time, signed outputs.
    form: Literal["cosine", "pearson"] = "cosine"
    derivative: bool = True  # False = ablation (f): raw audio features vs raw frames
    eps: float = 1e-8


@dataclass(frozen=True)
class AutoencoderConfig:
    """Per-frame 2D autoencoder whose encoder features define the perceptual loss."""

    channels: tuple[int, ...] = (64, 128, 256)
    res_blocks: int = 6


@dataclass(frozen=True)
class LossWeights:
    """Generator objective (paper Eq. 2) and discriminator objective (paper Eq. 4)."""

    corr_real: float = 1.0
    corr_fake: float = 1.0
    pix: float = 0.5
    perc: float = 1.0
    gen: float = 1.0
    d_real: float = 1.0
    d_fake: float = 0.5
    d_mismatch: float = 0.5
    shape: float = 0.0  # beyond the paper: landmark loss of the shape head in the GAN stage (needs shape_components)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisers and schedule (docs/DESIGN.md, Training stages)."""

    batch_size: int = 24
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    corr_lr: float = 1e-4
    corr_weight_decay: float = 5e-4
    flow_lr: float = 1e-4
    flow_weight_decay: float = 4e-4
    autoencoder_lr: float = 2e-4
    ema_decay: float = 0.0  # 0 disables the generator EMA
    seed: int = 0
    # Beyond the paper: share of GAN training windows replaced by a silent one (digital silence or
    # faint room tone) whose target is the clip's own closed-mouth frames (see LipClipDataset).
    silence: float = 0.0
    shape_lr: float = 1e-3  # the `shape` stage: the shape head alone, on the frozen audio encoder
    shape_closure: float = 4.0  # extra landmark-loss weight of frames where a p/b/m seals the lips
    # extra loss on the mouth's width (corner to corner, % of the rest width) in the shape stage: rounding and
    # spreading move only the corners, a small part of a 20-point landmark loss
    shape_width: float = 0.0
    shape_gate: float = 1.0  # weight of the closure gate's cross-entropy (generator.shape_gate) in the shape stage
    shape_gate_pos: float = 3.0  # weight of the sealed frames in that cross-entropy (they are few: favour recall)
    # at each validation, the gate's threshold is set so that it closes this share of the validation split's
    # clearly open frames (truth opening > 0.09 rest widths): as many p/b/m seals close as that allows (a mouth
    # snapping shut mid-vowel is worse than a seal missed); 0 keeps the threshold at 0
    shape_gate_false: float = 0.05
    # augmentation: stretch training log-mels along frequency by up to this share (vocal tract length), so what
    # is learnt carries over to voices of other pitch and size (the held-out voice is a woman's)
    mel_warp: float = 0.0
    # augmentation of the shape stage: read training windows up to (1 + tempo) times faster or slower (log-mel,
    # mouth shapes and seal flags together), so the short p/b/m seals of fast speakers are seen in training
    tempo: float = 0.0
    # augmentation of the shape stage: this share of training windows is heard through a random recording channel
    # (lipglance.data.channel: noise or another talker at 5-30 dB SNR, an equaliser, band limits), for recorded speech
    channel: float = 0.0
    # extra landmark-loss weight of the frames of rounded and spread vowels in the shape stage (class balance: the
    # width they differ by is a small part of every frame's loss, so a head learns the average mouth)
    shape_vowel: float = 0.0
    # the shape stage's targets with one audio-visual lead (seconds; the transcript path's 0.06) instead of the
    # corpus's random 0-0.12 s per clip: each clip's mouth shapes resampled in time onto it (lipglance.data.dataset);
    # < 0 keeps the corpus's own leads. Hypothesis: a random lead blurs short gestures such as rounding
    shape_lead: float = -1.0


@dataclass(frozen=True)
class GlanceConfig:
    name: str = "paper"
    motion: Literal["flow", "diff"] = "flow"  # "diff" = ablation (i): frame differences
    audio: AudioConfig = field(default_factory=AudioConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    correlation: CorrelationConfig = field(default_factory=CorrelationConfig)
    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    losses: LossWeights = field(default_factory=LossWeights)
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def motion_in_channels(self) -> int:
        return 2 if self.motion == "flow" else 3

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


PRESETS: dict[str, GlanceConfig] = {
    "paper": GlanceConfig(),
    "small": GlanceConfig(
        name="small",
        generator=GeneratorConfig(
            audio_channels=(16, 32, 64, 128, 128),
            identity_channels=(32, 64, 128),
            fusion_channels=128,
            res_blocks=4,
            up_channels=(64, 32),
            out_kernel=5,
        ),
        discriminator=DiscriminatorConfig(
            audio_channels=(16, 32, 64, 128),
            audio_embed=128,
            audio_pool=4,
            video_channels=(32, 64, 128, 128),
            motion_channels=(32, 64, 128, 128),
            head_channels=256,
        ),
        flow=FlowConfig(width=16),
        correlation=CorrelationConfig(audio_channels=(64, 32, 16, 16), form="pearson"),
        autoencoder=AutoencoderConfig(channels=(32, 64, 128), res_blocks=3),
    ),
    "tiny": GlanceConfig(
        name="tiny",
        generator=GeneratorConfig(
            audio_channels=(8, 16, 32, 64, 64),
            identity_channels=(16, 32, 64),
            fusion_channels=48,
            res_blocks=2,
            up_channels=(24, 12),
            out_kernel=5,
        ),
        discriminator=DiscriminatorConfig(
            audio_channels=(8, 16, 32, 64),
            audio_embed=64,
            audio_pool=2,
            video_channels=(16, 32, 64, 64),
            motion_channels=(16, 32, 64, 64),
            head_channels=128,
        ),
        flow=FlowConfig(width=8),
        correlation=CorrelationConfig(audio_channels=(32, 16, 16, 16), form="pearson"),
        autoencoder=AutoencoderConfig(channels=(16, 32, 64), res_blocks=2),
    ),
}


def ablation_names() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.toml"))


def _apply(obj: Any, overrides: dict[str, Any], where: str) -> Any:
    """Return a copy of dataclass `obj` with `overrides` (nested dicts) applied, type-checked."""
    fields = {f.name: f for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in fields:
            raise ConfigError(f"unknown setting '{where}{key}' (known: {', '.join(fields)})")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"'{where}{key}' is a section; give a table, not {value!r}")
            changes[key] = _apply(current, value, f"{where}{key}.")
        elif isinstance(current, tuple):
            if not isinstance(value, (list, tuple)):
                raise ConfigError(f"'{where}{key}' takes a list, not {value!r}")
            changes[key] = tuple(value)
        else:
            if isinstance(current, bool) != isinstance(value, bool) or (
                isinstance(current, (int, float)) and not isinstance(value, (int, float))
            ):
                raise ConfigError(f"'{where}{key}' takes a {type(current).__name__}, not {value!r}")
            changes[key] = float(value) if isinstance(current, float) else value
    return dataclasses.replace(obj, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None


def load_config(spec: str) -> GlanceConfig:
    """Resolve `PRESET`, `PRESET+ABLATION` or a TOML file path into a validated config."""
    if spec.endswith(".toml") or "/" in spec:
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"config file {spec} does not exist")
        data = _read_toml(path)
        base = data.pop("base", "paper")
        cfg = load_config(str(base))
        return validate(_apply(cfg, data, ""))
    preset, *ablations = spec.split("+")
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset '{preset}' (presets: {', '.join(PRESETS)})")
    cfg = PRESETS[preset]
    for ablation in ablations:
        path = CONFIG_DIR / f"{ablation}.toml"
        if not path.is_file():
            raise ConfigError(f"unknown ablation '{ablation}' (known: {', '.join(ablation_names())})")
        data = _read_toml(path)
        data.pop("base", None)
        cfg = _apply(cfg, data, "")
    if ablations:
        cfg = dataclasses.replace(cfg, name=spec)
    return validate(cfg)


# Settings that saved configs may hold but that no longer exist (section -> names); dropped on reading, so
# that runs written before a rename still resume and load. Config files given by hand are not forgiven.
RETIRED = {"train": ("shape_gate_recall",)}  # replaced by train.shape_gate_false


def config_from_dict(data: dict[str, Any]) -> GlanceConfig:
    """Rebuild a config saved with `GlanceConfig.to_dict` (e.g. from a checkpoint)."""
    data = {k: ({n: x for n, x in v.items() if n not in RETIRED.get(k, ())} if isinstance(v, dict) else v)
            for k, v in data.items()}
    return validate(_apply(GlanceConfig(), data, ""))


def validate(cfg: GlanceConfig) -> GlanceConfig:
    g = cfg.generator
    if len(g.audio_channels) != 5 or len(g.identity_channels) != 3 or len(g.up_channels) != 2:
        raise ConfigError("generator: audio_channels needs 5, identity_channels 3, up_channels 2 entries")
    if cfg.audio.n_mels % 8 or cfg.audio.n_mels // 8 != g.image_size // 4:
        raise ConfigError("audio.n_mels / 8 must equal generator.image_size / 4 (fusion grid)")
    if g.frames * cfg.audio.mels_per_frame % 4:
        raise ConfigError("frames * mels_per_frame must be divisible by 4")
    if cfg.correlation.form not in ("cosine", "pearson"):
        raise ConfigError(f"correlation.form must be cosine or pearson, not {cfg.correlation.form!r}")
    if not 0.0 <= g.mouth_mask <= 1.0 or (g.mouth_mask > 0 and not g.identity_skips):
        raise ConfigError("generator.mouth_mask must lie in [0, 1] and needs generator.identity_skips")
    if g.shape_components < 0 or g.shape_components > 40 or (cfg.losses.shape > 0 and not g.shape_components):
        raise ConfigError("generator.shape_components must lie in 0..40, and losses.shape needs it > 0")
    if g.shape_seal and not g.shape_gate:
        raise ConfigError("generator.shape_seal needs generator.shape_gate = true")
    if g.seal_track and (g.seal_track < 8 or g.seal_track % 2 or not g.shape_components):
        raise ConfigError("generator.seal_track is 0 or an even number of frames >= 8, and needs a shape head")
    for name in ("round_track", "tongue_track"):
        frames = getattr(g, name)
        if frames and (frames < 8 or frames % 2 or not g.shape_components):
            raise ConfigError(f"generator.{name} is 0 or an even number of frames >= 8, and needs a shape head")
    if not 0.0 < g.shape_width_gain <= 3.0:
        raise ConfigError(f"generator.shape_width_gain lies in (0, 3], not {g.shape_width_gain}")
    if g.shape_cmn and g.shape_encoder != "own":
        raise ConfigError("generator.shape_cmn needs generator.shape_encoder = \"own\"")
    if g.shape_encoder not in ("shared", "own"):
        raise ConfigError(f"generator.shape_encoder must be shared or own, not {g.shape_encoder!r}")
    if not 0.0 <= cfg.train.shape_gate_false < 1.0:
        raise ConfigError(f"train.shape_gate_false is a share in [0, 1), not {cfg.train.shape_gate_false}")
    if not 0.0 <= cfg.train.tempo < 1.0:
        raise ConfigError(f"train.tempo is a share in [0, 1), not {cfg.train.tempo}")
    if not 0.0 <= cfg.train.mel_warp < 0.5:
        raise ConfigError(f"train.mel_warp is a share in [0, 0.5), not {cfg.train.mel_warp}")
    if not 0.0 <= cfg.train.channel <= 1.0:
        raise ConfigError(f"train.channel is a share of windows in [0, 1], not {cfg.train.channel}")
    if cfg.train.shape_lead > 0.2:
        raise ConfigError(f"train.shape_lead is a lead in seconds up to 0.2 (< 0: the corpus's), not "
                          f"{cfg.train.shape_lead}")
    if cfg.train.shape_vowel < 0:
        raise ConfigError(f"train.shape_vowel is a loss weight >= 0, not {cfg.train.shape_vowel}")
    if not 0.0 <= cfg.train.silence <= 1.0:
        raise ConfigError(f"train.silence is a share of windows in [0, 1], not {cfg.train.silence}")
    if g.upsample not in ("transpose", "resize"):
        raise ConfigError(f"generator.upsample must be transpose or resize, not {g.upsample!r}")
    if cfg.motion not in ("flow", "diff"):
        raise ConfigError(f"motion must be flow or diff, not {cfg.motion!r}")
    if cfg.discriminator.kind not in ("three_stream", "two_stream", "none"):
        raise ConfigError(f"discriminator.kind invalid: {cfg.discriminator.kind!r}")
    if len(cfg.flow.scale_weights) != 5:
        raise ConfigError("flow.scale_weights needs 5 entries (flow2 .. flow6)")
    return cfg
