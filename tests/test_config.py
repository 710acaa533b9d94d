"""Config resolution: presets, shipped ablations, TOML files and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lipglance.config import PRESETS, ConfigError, ablation_names, config_from_dict, load_config


def test_every_preset_and_ablation_resolves() -> None:
    assert set("abcdefghi") <= set(ablation_names())
    for preset in PRESETS:
        for name in ablation_names():
            cfg = load_config(f"{preset}+{name}")
            assert cfg.name == f"{preset}+{name}"
            assert config_from_dict(cfg.to_dict()) == cfg


def test_ablations_are_small_diffs() -> None:
    assert load_config("paper+b").discriminator.kind == "none"
    assert load_config("paper+f").correlation.derivative is False
    assert load_config("paper+i").motion == "diff"
    assert load_config("paper+h").losses.corr_real == 0.0
    assert load_config("paper+e+cosine").correlation.form == "cosine"
    assert load_config("paper+e").generator == load_config("paper").generator


def test_toml_file_with_base(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text('base = "tiny+b"\n[losses]\npix = 2\n[generator]\nres_blocks = 3\n')
    cfg = load_config(str(path))
    assert cfg.losses.pix == 2.0 and cfg.generator.res_blocks == 3
    assert cfg.discriminator.kind == "none"


@pytest.mark.parametrize("text, message", [
    ('[losses]\npixx = 1\n', "unknown setting 'losses.pixx'"),
    ('[losses]\npix = "a"\n', "takes a float"),
    ('[correlation]\nform = "cos"\n', "cosine or pearson"),
    ('[generator]\nup_channels = [1]\n', "up_channels 2"),
    ('[losses\n', "not valid TOML"),
    ('[generator]\nmouth_mask = 0.5\n', "needs generator.identity_skips"),
    ('[train]\nsilence = 1.5\n', "share of windows"),
])
def test_bad_config_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(path))


def test_unknown_names() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        load_config("huge")
    with pytest.raises(ConfigError, match="unknown ablation 'z'"):
        load_config("tiny+z")


def test_saved_configs_with_retired_settings_still_load() -> None:
    saved = load_config("tiny+shape").to_dict()
    saved["train"]["shape_gate_recall"] = 0.9  # written by runs before the rename to shape_gate_false
    assert config_from_dict(saved).train.shape_gate_false == 0.05
    saved["train"]["no_such_setting"] = 1
    with pytest.raises(ConfigError, match="no_such_setting"):
        config_from_dict(saved)
