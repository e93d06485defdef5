"""The rooms' boundaries, checked rather than hoped for."""

from __future__ import annotations

import ast
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = ("genzoo_plugins", "genzoo_gui", "PySide6", "genzoo_zoo")
TORCH_FREE = [
    "genzoo/spec/model.py",
    "genzoo/spec/loading.py",
    "genzoo/spec/schema.py",
    "genzoo/zoo.py",
    "genzoo/registry.py",
    "genzoo/settings.py",
    "genzoo/errors.py",
    "genzoo/plugins/hookspecs.py",
    "genzoo/plugins/manager.py",
    "genzoo/cli/__init__.py",
    "genzoo/cli/zoo.py",
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_plugins_gui_or_qt():
    for path in (ROOT / "genzoo").rglob("*.py"):
        bad = imports(path) & set(FORBIDDEN_IN_CORE)
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_spec_zoo_and_plugin_loading_import_no_torch():
    for rel in TORCH_FREE:
        assert "torch" not in imports(ROOT / rel), rel


def test_plugin_registration_modules_import_no_torch():
    for init in (ROOT / "plugins").glob("*/__init__.py"):
        assert "torch" not in imports(init), init


def test_every_package_folder_is_in_pyproject():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    rooms = {
        "genzoo": "genzoo",
        "plugins": "genzoo_plugins",
        "gui": "genzoo_gui",
        "zoo_specs": "genzoo_zoo",
    }
    for folder, name in rooms.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            pkg = ".".join([name, *rel])
            assert pkg in listed, f"{pkg} is missing from [tool.setuptools] packages"
