"""`genzoo pull`, `push`, `verify` and `remove` as a person types them, against the fake Hub.

The commands run through click's CliRunner with the settings in the environment
(``GENZOO_STORE``, ``GENZOO_CACHE``, ``GENZOO_HUB_ENDPOINT``, ``GENZOO_ZOO_PATH``) or the global
options (``--offline``). Only the plugin list is the test's own: the command's zoo gets the toy
family instead of the installed plugins.
"""

from __future__ import annotations

import pytest
import torch
import yaml
from click.testing import CliRunner

import genzoo.cli
from genzoo.cli import cli
from genzoo.weights import read_tensors
from tests.hub.test_pull import REPO, pushed_entry, remote_entry, weights_bytes
from tests.toy import toy_plugin


@pytest.fixture
def env(fake_hub, make_zoo, tmp_path, monkeypatch, hf_no_backoff):
    """The fake Hub serving toy weights, an entry pinned to them, and the CLI's settings."""
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo

    data = weights_bytes(make_zoo)
    fake_hub.add_repo(REPO, {"model.safetensors": data, "README.md": b"# toy\n"})
    zoo_dir = tmp_path / "zoo"
    remote_entry(zoo_dir, data)
    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENZOO_HUB_ENDPOINT", fake_hub.endpoint)
    monkeypatch.setenv("GENZOO_ZOO_PATH", str(zoo_dir))
    for var in ("GENZOO_OFFLINE", "GENZOO_DEBUG", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)

    def make(**settings):  # the CLI's own settings resolution, the toy family as the plugin
        return Zoo(
            settings=Settings.load(**settings), plugins=[("toy", toy_plugin)], discover=False
        )

    monkeypatch.setattr(genzoo.cli, "make_zoo", make)
    return tmp_path, zoo_dir, data


def run(*args: str):
    res = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


def one_error_line(res) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def gets(fake_hub) -> int:
    return sum(1 for m, p in fake_hub.requests if m == "GET" and "/resolve/" in p)


def test_pull_verify_remove(env, fake_hub):
    tmp_path, *_ = env
    res = run("pull", "toy-remote", "--no-progress")
    assert res.exit_code == 0, res.output
    installed = tmp_path / "store" / "toy-remote"
    assert res.stdout.startswith(f"installed toy-remote into {installed} (commit ")
    n = gets(fake_hub)
    res = run("pull", "toy-remote", "--no-progress")
    assert res.exit_code == 0 and res.stdout.strip() == f"toy-remote is up to date ({installed})"
    assert gets(fake_hub) == n

    res = run("verify", "toy-remote")
    assert (
        res.exit_code == 0
        and res.stdout.startswith("ok  toy-remote: ")
        and "sha256 ok" in res.stdout
    )
    weights = installed / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 0xFF  # same size: only the hash sees it
    weights.write_bytes(bytes(raw))
    res = run("verify", "toy-remote")
    assert res.exit_code == 4, res.output
    assert one_error_line(res).startswith("BAD toy-remote: ") and "differs from pin" in res.stderr

    res = run("remove", "toy-remote")
    assert res.exit_code == 0 and res.stdout.strip() == f"removed toy-remote ({installed})"
    assert not installed.exists()
    res = run("remove", "toy-remote")
    assert res.exit_code == 1
    assert one_error_line(res).startswith("error: toy-remote is not installed in the store")


def test_restricted_licence_without_the_flag_downloads_nothing(env, fake_hub):
    tmp_path, zoo_dir, data = env
    remote_entry(zoo_dir, data, restricted=True)
    n = len(fake_hub.requests)
    res = run("pull", "toy-remote", "--no-progress")  # CliRunner's stdin is no terminal
    assert res.exit_code == 5, res.output
    line = one_error_line(res)
    assert "NVIDIA Source Code License-NC" in line and "--accept-license" in line
    assert len(fake_hub.requests) == n and not (tmp_path / "store" / "toy-remote").exists()
    res = run("pull", "toy-remote", "--accept-license", "--no-progress")
    assert res.exit_code == 0 and "installed toy-remote" in res.stdout


def test_offline_pull_of_an_uncached_entry_fails_at_once(env, fake_hub):
    tmp_path, *_ = env
    res = run("--offline", "pull", "toy-remote", "--no-progress")
    assert res.exit_code == 5, res.output
    assert "offline mode is on" in one_error_line(res)
    assert fake_hub.requests == [] and not (tmp_path / "store" / "toy-remote").exists()


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"repo": "genzoo-test/nope"}, 5, "repository not found"),
        ({"revision": "v9"}, 5, "revision not found"),
        ({"file": "missing.safetensors"}, 5, "file not found"),
        ({"sha256": "0" * 64}, 5, "sha256 mismatch"),
    ],
)
def test_pull_failures_are_one_line_with_their_exit_code(env, change, code, message):
    tmp_path, zoo_dir, _ = env
    spec_file = zoo_dir / "toy-remote" / "genzoo.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["weights"][0].update(change)
    spec_file.write_text(yaml.safe_dump(spec))
    res = run("pull", "toy-remote", "--no-progress")
    assert res.exit_code == code, res.output
    assert message in one_error_line(res)
    assert not (tmp_path / "store" / "toy-remote").exists()


def test_unknown_entry_and_a_pickle_push_are_one_line(env):
    res = run("pull", "no-such-entry")
    assert res.exit_code == 3 and "unknown" in one_error_line(res)
    assert run("pull", "toy-remote", "--no-progress").exit_code == 0
    tmp_path, *_ = env
    (tmp_path / "store" / "toy-remote" / "net.pkl").write_bytes(b"x")
    res = run("push", "toy-remote", "--repo", "me/toy-copy")
    assert res.exit_code == 5 and "refusing to push pickle-like files" in one_error_line(res)


def test_push_then_pull_round_trip(env, fake_hub):
    tmp_path, zoo_dir, _ = env
    assert run("pull", "toy-remote", "--no-progress").exit_code == 0
    res = run("push", "toy-remote", "--repo", "me/toy-copy", "-m", "first upload")
    assert res.exit_code == 0 and res.stdout.startswith("pushed to me/toy-copy: "), res.output
    files = fake_hub.repo_files("me/toy-copy")
    assert {"genzoo.yaml", "model.safetensors", "README.md", "config.json"} <= set(files)
    assert "pulled.json" not in files
    assert b"library_name: genzoo" in files["README.md"]

    pushed = files["model.safetensors"]
    pushed_entry(zoo_dir, pushed, "me/toy-copy")
    res = run("pull", "toy-copy", "--no-progress")
    assert res.exit_code == 0 and "installed toy-copy" in res.stdout, res.output
    store = tmp_path / "store"
    a, b = (read_tensors(store / n / "model.safetensors") for n in ("toy-copy", "toy-remote"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    res = run("verify", "toy-copy")
    assert res.exit_code == 0 and "sha256 ok" in res.stdout
