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
