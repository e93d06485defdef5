"""Plugins load through entry points; broken ones are reported while the rest keeps working.

These tests run the real ``genzoo`` command in a subprocess with a fake distribution on the
path whose entry points name the toy plugin, a plugin that raises at import and one that
registers a duplicate name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from genzoo.plugins import hookspecs
from genzoo.plugins.manager import PluginManager
from genzoo.registry import Registries
from tests.toy import toy_plugin
from tests.toy.specs import TOY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path):
    """A fake installed distribution with three genzoo plugins, and a zoo folder with one entry."""
    site = tmp_path / "site"
    dist = site / "toyplugins-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[genzoo]\ntoy = tests.toy.toy_plugin\nbroken = tests.toy.broken_plugin\n"
        "dup = tests.toy.dup_plugin\n"
    )
    zoo_dir = tmp_path / "zoo"
    entry = zoo_dir / "toy-entry"
    entry.mkdir(parents=True)
    spec = dict(
        TOY, name="toy-entry", description="a toy entry", weights=[{"file": "model.safetensors"}]
    )
    (entry / "genzoo.yaml").write_text(yaml.safe_dump(spec))
    (entry / "README.md").write_text("---\nlicense: mit\n---\n# toy-entry\n")
    import torch

    from genzoo.weights import save_model_weights
    from genzoo.zoo import Zoo

    zoo = Zoo(plugins=[("toy", toy_plugin)], discover=False)
    torch.manual_seed(0)
    save_model_weights(zoo.build(spec), entry / "model.safetensors")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "GENZOO_ZOO_PATH": str(zoo_dir),
        "GENZOO_STORE": str(tmp_path / "store"),
        "GENZOO_CACHE": str(tmp_path / "cache"),
    }
    return env, tmp_path


def genzoo(env, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "genzoo", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_broken_plugins_are_reported_and_the_rest_works(world):
    env, tmp = world
    res = genzoo(env, "plugins")
    assert res.returncode == 0
    out = res.stdout
    assert "broken [failed]" in out and "RuntimeError: this plugin is broken on purpose" in out
    # whichever registers second is marked failed; the message names both plugins
    assert "ERROR: family 'toy' is registered by both plugin 'dup' and plugin 'toy'" in out
    assert "family toy2" in out  # the duplicate plugin's other family still registered
    res = genzoo(env, "list", "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["toy-entry"]["state"] == "local"
    res = genzoo(env, "sample", "toy-entry", "-n", "4", "-o", str(tmp / "s.png"))
    assert res.returncode == 0, res.stderr
    assert (tmp / "s.png").stat().st_size > 0


def test_disabled_plugin(world):
    env, _ = world
    res = genzoo({**env, "GENZOO_DISABLE_PLUGINS": "broken,dup"}, "plugins")
    assert "broken [disabled]" in res.stdout and "dup [disabled]" in res.stdout
    assert "ERROR" not in res.stdout


def test_listing_imports_no_torch(world):
    env, _ = world
    code = (
        "import sys; from genzoo.cli import main\n"
        "try:\n    main(['list'])\nexcept SystemExit:\n    pass\n"
        "for cmd in (['show', 'toy-entry'], ['validate', sys.argv[1]]):\n"
        "    try:\n        main(cmd)\n    except SystemExit:\n        pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\nprint('NO_TORCH')"
    )
    spec = Path(env["GENZOO_ZOO_PATH"]) / "toy-entry" / "genzoo.yaml"
    res = subprocess.run(
        [sys.executable, "-c", code, str(spec)], env=env, capture_output=True, text=True
    )
    assert "NO_TORCH" in res.stdout, res.stderr


def test_validate_cli_exit_codes_and_lines(world):
    env, tmp = world
    good = Path(env["GENZOO_ZOO_PATH"]) / "toy-entry" / "genzoo.yaml"
    assert genzoo(env, "validate", str(good)).returncode == 0
    bad = tmp / "bad.yaml"
    bad.write_text(good.read_text().replace("hidden: 16", "hidden: 16\n  hiden: 1"))
    res = genzoo(env, "validate", str(bad))
    assert res.returncode == 1
    assert f"{bad}:" in res.stderr and "spec.arch.hiden: unknown key" in res.stderr
    assert "Traceback" not in res.stderr


def test_user_errors_are_one_line_with_exit_codes(world):
    env, _ = world
    res = genzoo(env, "sample", "toy-entri")
    assert res.returncode == 3 and "did you mean 'toy-entry'" in res.stderr
    assert "Traceback" not in res.stderr
    res = genzoo(env, "sample", "toy-entry", "--label", "3")
    assert res.returncode == 1 and "unconditional" in res.stderr
    res = genzoo(env, "sample", "toy-entry", "-o", "grid.xyz")
    assert res.returncode == 1 and "cannot write .xyz images" in res.stderr
    if not __import__("torch").cuda.is_available():
        res = genzoo(env, "--device", "cuda", "sample", "toy-entry")
        assert res.returncode == 1 and "'cuda' is not available" in res.stderr
    assert "Traceback" not in res.stderr
    weights = Path(env["GENZOO_ZOO_PATH"]) / "toy-entry" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    res = genzoo(env, "sample", "toy-entry")
    assert res.returncode == 4 and "extends past the end" in res.stderr
    assert "Traceback" not in res.stderr


def test_schema_includes_installed_families(world):
    env, _ = world
    res = genzoo(env, "schema")
    schema = json.loads(res.stdout)
    assert "arch_toy" in schema["$defs"] and "toy" in schema["properties"]["family"]["enum"]


def test_manager_isolates_hook_errors():
    class Raises:
        @staticmethod
        @__import__("genzoo.plugins", fromlist=["hookimpl"]).hookimpl
        def genzoo_register_families(register):
            raise ValueError("boom")

    pm = PluginManager()
    pm.add("toy", toy_plugin)
    pm.add("raises", Raises())
    reg = Registries()
    pm.fill(reg)
    assert "toy" in reg.families
    assert pm.reports["raises"].status == "failed"
    assert "boom" in pm.reports["raises"].errors[0]


def test_a_misspelled_hook_is_reported_not_ignored():
    from genzoo.plugins import hookimpl

    class Typo:
        @staticmethod
        @hookimpl
        def genzoo_register_familes(register):  # sic
            raise AssertionError("never called")

    pm = PluginManager()
    pm.add("toy", toy_plugin)
    pm.add("typo", Typo())
    reg = Registries()
    pm.fill(reg)
    assert "toy" in reg.families and pm.reports["toy"].status != "failed"
    report = pm.reports["typo"]
    assert report.status == "failed"
    assert "genzoo_register_familes" in report.errors[0]
    assert "genzoo_register_families" in report.errors[0]


def test_readme_documents_every_hook_with_its_signature():
    import inspect

    readme = (ROOT / "README.md").read_text()
    for name in hookspecs.hook_names():
        fn = getattr(hookspecs, name)
        sig = f"{name}{inspect.signature(fn)}".replace("'", "")
        assert sig in readme, f"README lacks hook signature: {sig}"
