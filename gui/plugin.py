"""genzoo plugin that contributes the ``genzoo gui`` command (imports no Qt until it runs)."""

from __future__ import annotations

import click

from genzoo.plugins import hookimpl
from genzoo.registry import Command


@click.command("gui")
@click.argument("entry", required=False)
def gui_cmd(entry: str | None) -> None:
    """Open the desktop app on the zoo (optionally on ENTRY).

    \b
    Example:
      genzoo gui dcgan-mnist
    """
    try:
        from genzoo_gui.app import main
    except ImportError as exc:
        from genzoo.errors import GenzooError

        raise GenzooError(f"the app needs PySide6: pip install 'genzoo[gui]' ({exc})") from None
    raise SystemExit(main(entry=entry))


@hookimpl
def genzoo_register_commands(register):  # type: ignore[no-untyped-def]
    register(Command("gui", gui_cmd))
