"""The generic trainer: bit-exact resume (also after a killed process) and DDP equivalence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from genzoo.data import ArrayDataset
from genzoo.train.trainer import Trainer
from tests.toy import toy_plugin
from tests.toy.specs import TOY

ROOT = Path(__file__).resolve().parents[2]


def data(n=40):
    g = torch.Generator().manual_seed(0)
    return ArrayDataset(torch.rand(n, 1, 8, 8, generator=g) * 2 - 1)


def fresh(zoo, out, **kw):
    torch.manual_seed(0)
    return Trainer(zoo.build(TOY), data(), zoo.registries, out, progress=False, **kw)


def state(trainer):
    s = {f"model.{k}": v for k, v in trainer.model.state_dict().items()}
    s.update({f"ema.{k}": v for k, v in trainer.ema["G"].state_dict().items()})
    return s


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_is_bit_exact(make_zoo, tmp_path):
    zoo = make_zoo(("toy", toy_plugin))
    straight = fresh(zoo, tmp_path / "a")
    straight.run()
    first = fresh(zoo, tmp_path / "b")
    first.run(stop_after=3)
    assert (tmp_path / "b" / "checkpoint.safetensors").is_file()
    second = fresh(zoo, tmp_path / "b")
    result = second.run(resume=True)
    assert second.step == 6
    # the result covers the whole run: both sessions, all images, not just the last stretch
    assert result.sessions == 2
    whole = straight.run()  # already finished: a no-op session
    assert whole.sessions == 1
    assert result.images_per_second * result.seconds == pytest.approx(
        6 * straight.recipe.batch_size
    )
    assert_same(state(straight), state(second))
    lines = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2, 3, 4, 5, 6]


SCRIPT = textwrap.dedent(
    """
    import os, sys, torch
    sys.path.insert(0, {root!r})
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo
    from genzoo.train.trainer import Trainer
    from tests.core.test_trainer import data
    from tests.toy import toy_plugin
    from tests.toy.specs import TOY
    settings = Settings(store_dir={out!r}, cache_dir={out!r})
    zoo = Zoo(settings=settings, plugins=[("toy", toy_plugin)], discover=False)
    torch.manual_seed(0)
    kill_at = int(sys.argv[1])
    def on_step(step, line):
        if step == kill_at:
            os._exit(9)  # a crash: no clean-up, no final checkpoint
    t = Trainer(zoo.build(TOY), data(), zoo.registries, {out!r}, progress=False, on_step=on_step)
    t.run(resume=True)
    """
)


def test_killed_run_resumes_as_if_never_interrupted(make_zoo, tmp_path):
    zoo = make_zoo(("toy", toy_plugin))
    straight = fresh(zoo, tmp_path / "a")
    straight.run()
    out = tmp_path / "killed"
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(root=str(ROOT), out=str(out)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, str(script), "5"], env=env, capture_output=True)
    assert killed.returncode == 9, killed.stderr.decode()[-2000:]
    again = fresh(zoo, out)
    assert again.resume() and again.step == 3  # the last checkpoint before the crash
    again.run()
    assert_same(state(straight), state(again))


DDP_SCRIPT = textwrap.dedent(
    """
    import sys, torch
    sys.path.insert(0, {root!r})
    torch.set_num_threads(1)
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo
    from genzoo.train.trainer import Trainer
    from genzoo.weights import save_tensors
    from tests.core.test_trainer import data
    from tests.toy import toy_plugin
    from tests.toy.specs import TOY
    settings = Settings(store_dir={out!r}, cache_dir={out!r})
    zoo = Zoo(settings=settings, plugins=[("toy", toy_plugin)], discover=False)
    torch.manual_seed(0)
    t = Trainer(zoo.build(TOY), data(), zoo.registries, {out!r}, progress=False)
    t.run()
    if t.dist.rank == 0:
        save_tensors(t.model.state_dict(), {out!r} + "/final.safetensors")
    """
)


@pytest.mark.slow
def test_ddp_two_processes_match_one(make_zoo, tmp_path):
    zoo = make_zoo(("toy", toy_plugin))
    one = fresh(zoo, tmp_path / "one")
    one.run()
    out = tmp_path / "ddp"
    out.mkdir()
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(root=str(ROOT), out=str(out)))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        "0",
        "--rdzv-backend",
        "c10d",
        "--rdzv-endpoint",
        "127.0.0.1:0",
        str(script),
    ]
    res = subprocess.run(cmd, env=env, capture_output=True, timeout=240)
    assert res.returncode == 0, res.stderr.decode()[-3000:]
    from genzoo.weights import read_tensors

    ddp = read_tensors(out / "final.safetensors")
    for k, v in one.model.state_dict().items():
        torch.testing.assert_close(ddp[k], v, rtol=1e-5, atol=1e-6, msg=k)


def test_each_torchrun_rank_takes_its_own_gpu(monkeypatch):
    from genzoo.train.trainer import _rank_device

    calls = []
    monkeypatch.setattr(torch.cuda, "set_device", calls.append)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert _rank_device(torch.device("cuda")) == torch.device("cuda", 1)
    assert _rank_device(torch.device("cuda", 0)) == torch.device("cuda", 0)  # explicit: kept
    assert _rank_device(torch.device("cpu")) == torch.device("cpu")
    assert calls == [torch.device("cuda", 1), torch.device("cuda", 0)]
    monkeypatch.delenv("LOCAL_RANK")
    assert _rank_device(torch.device("cuda")) == torch.device("cuda")


# -- progress bar, CUDA RNG states in checkpoints, mixed precision -----------------------------
def test_progress_bar_shows_images_per_second_and_every_loss(make_zoo, tmp_path, monkeypatch):
    import io

    import tqdm.auto

    bars = []

    class Recording(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "file": io.StringIO()})
            self.postfixes = []
            bars.append(self)

        def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
            self.postfixes.append(dict(ordered_dict or {}, **kwargs))
            super().set_postfix(ordered_dict, refresh=refresh, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    zoo = make_zoo(("toy", toy_plugin))
    torch.manual_seed(0)
    t = Trainer(zoo.build(TOY), data(), zoo.registries, tmp_path, progress=True)
    d_phase = t.phases[0]
    d_loss = d_phase.loss

    def more_values(batch, ctx):  # a critic that logs four values before G's g_loss, as WGAN-GP
        loss, items = d_loss(batch, ctx)
        return loss, {"d_real": 0.5, "d_fake": -0.25, "gp": 1234.5678, **items}

    d_phase.loss = more_values
    t.run()
    (bar,) = bars
    assert len(bar.postfixes) == 6  # one per step
    last = bar.postfixes[-1]
    assert list(last) == ["img/s", "d_real", "d_fake", "gp", "d_loss", "g_loss"]
    assert last["gp"] == "1.23e+03" and last["d_fake"] == "-0.25"  # short: 3 digits
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert float(last["img/s"]) > 0
    assert abs(float(last["img/s"]) - lines[-1]["images_per_s"]) <= 0.5  # images, not steps
    assert last["g_loss"] == f"{lines[-1]['g_loss']:.3g}"
    shown = bar.fp.getvalue()
    assert "img/s=" in shown and "g_loss=" in shown


def fake_cuda(monkeypatch, states, count=None):
    """torch.cuda as if ``len(states)`` GPUs were there; returns the list of set calls."""
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(states) if count is None else count)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [s.clone() for s in states])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda new: calls.append(list(new)))
    return calls


def test_checkpoints_save_and_restore_cuda_rng_states(make_zoo, tmp_path, monkeypatch, caplog):
    from genzoo.weights import read_tensors

    zoo = make_zoo(("toy", toy_plugin))
    # without CUDA: only the CPU and trainer states, and a resume that finds CUDA sets nothing
    cpu = fresh(zoo, tmp_path / "cpu")
    with monkeypatch.context() as m:
        m.setattr(torch.cuda, "is_available", lambda: False)
        cpu.run(stop_after=3)
    rng = {k for k in read_tensors(cpu.checkpoint_path) if k.startswith("rng.")}
    assert rng == {"rng.torch", "rng.trainer"}
    resumed = fresh(zoo, tmp_path / "cpu")
    with monkeypatch.context() as m:
        calls = fake_cuda(m, [torch.tensor([1], dtype=torch.uint8)])
        assert resumed.resume() and resumed.step == 3
    assert calls == []

    # with (fake) CUDA: every GPU's state is written and set back on resume, in device order
    states = [torch.arange(i, i + 16, dtype=torch.uint8) for i in (0, 100)]
    gpu = fresh(zoo, tmp_path / "gpu")
    with monkeypatch.context() as m:
        fake_cuda(m, states)
        gpu.run(stop_after=3)
    saved = read_tensors(gpu.checkpoint_path)
    assert torch.equal(saved["rng.cuda.0"], states[0])
    assert torch.equal(saved["rng.cuda.1"], states[1])
    with monkeypatch.context() as m:
        calls = fake_cuda(m, [torch.zeros(16, dtype=torch.uint8)] * 2)
        assert fresh(zoo, tmp_path / "gpu").resume()
    assert len(calls) == 1 and [s.tolist() for s in calls[0]] == [s.tolist() for s in states]
    with monkeypatch.context() as m, caplog.at_level("WARNING"):
        calls = fake_cuda(m, states, count=1)  # fewer GPUs here: the first is restored
        assert fresh(zoo, tmp_path / "gpu").resume()
    assert len(calls) == 1 and len(calls[0]) == 1 and torch.equal(calls[0][0], states[0])
    assert "2 CUDA RNG state(s), 1 GPU(s) here: restoring the first 1" in caplog.text
    # the same checkpoint on a machine without CUDA loads fine (GPU states ignored)
    with monkeypatch.context() as m:
        m.setattr(torch.cuda, "is_available", lambda: False)
        again = fresh(zoo, tmp_path / "gpu")
        assert again.resume() and again.step == 3
        again.run()
    straight = fresh(zoo, tmp_path / "straight")
    straight.run()
    assert_same(state(straight), state(again))


AMP = {**TOY, "training": {**TOY["training"], "amp": True}}


def fresh_amp(zoo, out):
    torch.manual_seed(0)
    return Trainer(zoo.build(AMP), data(), zoo.registries, out, progress=False)


def test_amp_on_cpu_trains_in_bf16_finite_and_resumes_bit_exact(make_zoo, tmp_path):
    zoo = make_zoo(("toy", toy_plugin))
    straight = fresh_amp(zoo, tmp_path / "a")
    seen = []
    d_loss = straight.phases[0].loss

    def spy(batch, ctx):
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        return d_loss(batch, ctx)

    straight.phases[0].loss = spy
    result = straight.run()
    assert seen and all(s == (True, torch.bfloat16) for s in seen)
    assert straight.scalers == [None, None]  # bf16 needs no gradient scaler
    lines = [json.loads(x) for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 6
    assert all(torch.isfinite(torch.tensor([x["d_loss"], x["g_loss"]])).all() for x in lines)
    assert all(torch.isfinite(v).all() for v in state(straight).values())
    assert result.last_metrics["g_loss"] == lines[-1]["g_loss"]
    first = fresh_amp(zoo, tmp_path / "b")
    first.run(stop_after=3)
    second = fresh_amp(zoo, tmp_path / "b")
    second.run(resume=True)
    assert second.step == 6
    assert_same(state(straight), state(second))


def test_grad_scalers_scale_step_and_round_trip_through_checkpoints(make_zoo, tmp_path):
    from contextlib import nullcontext

    from genzoo.train.trainer import make_grad_scaler

    assert make_grad_scaler(torch.device("cpu"), True) is None
    assert make_grad_scaler(torch.device("cuda"), False) is None
    with pytest.warns(UserWarning) if not torch.cuda.is_available() else nullcontext():
        assert isinstance(make_grad_scaler(torch.device("cuda"), True), torch.amp.GradScaler)

    # the fp16-on-CUDA code path, exercised on the CPU with CPU scalers
    def scaled(out):
        t = fresh(zoo, out)
        t.scalers = [
            torch.amp.GradScaler("cpu", init_scale=2.0**8, growth_interval=2),
            torch.amp.GradScaler("cpu", init_scale=2.0**4, growth_interval=2),
        ]
        return t

    zoo = make_zoo(("toy", toy_plugin))
    straight = scaled(tmp_path / "a")
    straight.run()
    # 6 steps without overflow, growth every 2: each scale doubled 3 times
    assert [s.get_scale() for s in straight.scalers] == [2.0**11, 2.0**7]
    first = scaled(tmp_path / "b")
    first.run(stop_after=3)
    second = scaled(tmp_path / "b")
    second.run(resume=True)
    assert [s.state_dict() for s in second.scalers] == [s.state_dict() for s in straight.scalers]
    assert_same(state(straight), state(second))
    plain = fresh(zoo, tmp_path / "plain")
    plain.run()
    for k, v in state(plain).items():  # unscaled before each step: the same updates
        torch.testing.assert_close(state(straight)[k], v, msg=k)
