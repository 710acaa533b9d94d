"""Training: every stage runs and learns, DDP keeps ranks identical, kill/resume loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lipglance.checkpoint import load_checkpoint
from lipglance.cli import main


def _glance(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lipglance", *args], capture_output=True, text=True, check=False,
                          timeout=900, env=env)


def _losses(run: Path, stage: str, key: str) -> list[float]:
    """One logged value per step; key "g/total" is the weighted generator objective of the tiny preset."""
    from lipglance.config import load_config
    from lipglance.objective import weight_of

    w = load_config("tiny").losses
    rows = [json.loads(line) for line in (run / stage / "stats.jsonl").read_text().splitlines()]
    if key == "g/total":
        return [sum(weight_of(k, w) * v for k, v in r.items() if k.startswith("g/")) for r in rows]
    return [r[key] for r in rows]


def test_every_stage_trains_and_losses_fall(cache_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    common = ["--config", "tiny", "--data", str(cache_dir), "--out", str(run), "--batch-size", "4", "--log-every",
              "1", "--eval-every", "0", "--sample-every", "1000"]
    assert main(["train", "flow", *common, "--steps", "40"]) == 0
    assert main(["train", "autoencoder", *common, "--steps", "40"]) == 0
    assert main(["train", "gan", *common, "--steps", "40", "--eval-every", "40", "--sample-every", "40",
                 "--keep-every", "20"]) == 0
    for stage, key in (("flow", "flow/epe_multiscale"), ("autoencoder", "ae/l1"), ("gan", "g/total")):
        values = _losses(run, stage, key)
        k = max(3, len(values) // 4)
        assert sum(values[-k:]) / k < sum(values[:k]) / k, (stage, values)
    gen = load_checkpoint(run / "generator.safetensors", kind="generator")
    assert len(gen.extra["audio_stats"]["mean"]) == 128 and gen.extra["step"] == 40
    metrics = [json.loads(line) for line in (run / "gan" / "metrics.jsonl").read_text().splitlines()]
    assert metrics and {"psnr", "ssim", "lmd", "cpbd"} <= set(metrics[-1])
    assert list((run / "gan" / "tb").iterdir()), "TensorBoard events written"
    assert (run / "gan" / "samples" / "step-0000040.png").is_file()
    snaps = sorted(p.name for p in (run / "gan" / "snapshots").iterdir())
    assert snaps == ["generator-step0000020.safetensors", "generator-step0000040.safetensors"]
    assert load_checkpoint(run / "gan" / "snapshots" / snaps[0], kind="generator").extra["step"] == 20
    # fine-tuning under another config starts from the run's networks, not from scratch
    init = str(run / "gan" / "state.safetensors")
    for name in ("tuned", "wrong"):
        (tmp_path / name).mkdir()
        for f in ("flow.safetensors", "autoencoder.safetensors"):
            (tmp_path / name / f).write_bytes((run / f).read_bytes())
    assert main(["train", "gan", "--config", "tiny+silence", "--data", str(cache_dir), "--out", str(tmp_path / "tuned"),
                 "--batch-size", "4", "--steps", "1", "--eval-every", "0", "--init", init]) == 0
    before = gen.tensors
    after = load_checkpoint(tmp_path / "tuned" / "generator.safetensors", kind="generator").tensors
    earlier = load_checkpoint(run / "gan" / "snapshots" / snaps[0], kind="generator").tensors
    moved = max((after[k] - before[k]).abs().max().item() for k in before if before[k].is_floating_point())
    apart = max((earlier[k] - before[k]).abs().max().item() for k in before if before[k].is_floating_point())
    assert moved < apart / 4, (moved, apart)
    r = _glance("train", "gan", "--config", "tiny+skips", "--data", str(cache_dir), "--out", str(tmp_path / "wrong"),
                "--steps", "1", "--init", init)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "does not fit" in r.stderr, r.stderr
    # evaluate prints the Markdown table and writes jsonl
    assert main(["evaluate", str(run), "--data", str(cache_dir), "--split", "test", "--limit", "8",
                 "--out", str(tmp_path / "ev")]) == 0
    table = (tmp_path / "ev.md").read_text()
    assert "LMD" in table and "SSIM" in table and "PSNR" in table and "CPBD" in table
    lines = (tmp_path / "ev.jsonl").read_text().splitlines()
    assert len({json.loads(line)["video"] for line in lines[:-1]}) > 1, "the limited windows span several clips"
    summary = json.loads(lines[-1])["summary"]
    assert summary["psnr"]["mean"] > 5 and 0 <= summary["ssim"]["mean"] <= 1


def test_gan_stage_says_which_command_makes_its_inputs(cache_dir: Path, tmp_path: Path) -> None:
    r = _glance("train", "gan", "--config", "tiny", "--data", str(cache_dir), "--out", str(tmp_path / "r"),
                "--steps", "2")
    assert r.returncode == 2 and "lipglance train flow" in r.stderr and "Traceback" not in r.stderr


def test_dry_run_prints_the_resolved_config(cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "all", "--config", "tiny+b", "--data", str(cache_dir), "--out", "/nonexistent",
                 "--dry-run", "--batch-size", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["config"]["discriminator"]["kind"] == "none" and printed["config"]["train"]["batch_size"] == 3
    assert [s["stage"] for s in printed["stages"]] == ["gan"]  # baseline b: no D, no phi, no perceptual loss


@pytest.mark.parametrize(("config", "stages"), [("tiny", ["flow", "autoencoder", "gan"]),
                                                ("tiny+shape", ["flow", "autoencoder", "gan", "shape"])])
def test_dry_run_lists_the_stages_that_will_run(cache_dir: Path, capsys: pytest.CaptureFixture[str],
                                                config: str, stages: list[str]) -> None:
    assert main(["train", "all", "--config", config, "--data", str(cache_dir), "--out", "/nonexistent",
                 "--dry-run"]) == 0
    assert [s["stage"] for s in json.loads(capsys.readouterr().out)["stages"]] == stages


def _state_step(path: Path) -> int:
    return int(load_checkpoint(path, kind="training").extra["step"])


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path).tensors


def test_sigkill_then_resume_loses_at_most_one_interval(cache_dir: Path, tmp_path: Path) -> None:
    args = ["train", "gan", "--config", "tiny+a", "--data", str(cache_dir), "--batch-size", "4", "--steps", "24",
            "--ckpt-every", "4", "--eval-every", "0", "--sample-every", "1000", "--log-every", "1"]
    # Reference: one uninterrupted run.
    assert main([*args, "--out", str(tmp_path / "ref")]) == 0
    run = tmp_path / "killed"
    # The killed run computes in a subprocess, the rest here: the same number of torch threads in both (the
    # reduction order differs between thread counts, and bit-exact resume is what this test checks).
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    proc = subprocess.Popen([sys.executable, "-m", "lipglance", *args, "--out", str(run)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    state = run / "gan" / "state.safetensors"
    deadline = time.time() + 300
    while time.time() < deadline and (not state.exists() or _state_step(state) < 8):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len([line for line in (run / "gan" / "stats.jsonl").read_text().splitlines() if line.endswith("}")])
    saved = _state_step(state)  # loads and verifies: no corrupted file
    assert saved >= 8 and done - saved < 4 + 1, f"at most one checkpoint interval lost ({done} steps, saved {saved})"
    assert main([*args, "--out", str(run), "--resume"]) == 0
    assert _state_step(state) == 24
    ref, resumed = _weights(tmp_path / "ref" / "generator.safetensors"), _weights(run / "generator.safetensors")
    for k in ref:
        assert torch.allclose(ref[k].float(), resumed[k].float(), atol=1e-5), k


def test_sigterm_checkpoints_and_exits(cache_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "term"
    proc = subprocess.Popen([sys.executable, "-m", "lipglance", "train", "gan", "--config", "tiny+b", "--data",
                             str(cache_dir), "--out", str(run), "--batch-size", "4", "--steps", "100000",
                             "--ckpt-every", "100000", "--eval-every", "0", "--sample-every", "100000",
                             "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stats = run / "gan" / "stats.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and (not stats.exists() or len(stats.read_text().splitlines()) < 1):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)  # the whole process group, DataLoader workers included
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "resume with --resume" in err
    assert _state_step(run / "gan" / "state.safetensors") >= 10


def test_ddp_two_processes_hold_identical_weights(cache_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                        str(29500 + os.getpid() % 1000), "-m", "lipglance", "train", "gan", "--config", "tiny+a",
                        "--data", str(cache_dir), "--out", str(run), "--batch-size", "4", "--steps", "6",
                        "--eval-every", "0", "--sample-every", "1000", "--save-rank-weights"],
                       capture_output=True, text=True, check=False, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    w0, w1 = _weights(run / "gan" / "rank0.safetensors"), _weights(run / "gan" / "rank1.safetensors")
    assert w0.keys() == w1.keys()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
