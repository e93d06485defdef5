"""The third-party example plugin installs on its own and genzoo discovers and samples it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "genzoo-example-plugin"


def test_example_plugin_is_discovered_and_samples(tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "GENZOO_STORE": str(tmp_path / "store")}

    def genzoo(*args):
        return subprocess.run(
            [sys.executable, "-m", "genzoo", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    res = genzoo("plugins")
    assert "ppca [ok]" in res.stdout and "family ppca" in res.stdout
    rows = {r["name"]: r for r in json.loads(genzoo("list", "--json").stdout)}
    assert rows["ppca-digits"]["state"] == "local"
    assert rows["ppca-digits"]["origin"] == "ppca"
    out = tmp_path / "ppca.png"
    res = genzoo("sample", "ppca-digits", "-n", "16", "-o", str(out))
    assert res.returncode == 0, res.stderr
    from PIL import Image

    assert Image.open(out).size[0] > 0
