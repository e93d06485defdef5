"""The ``genzoo`` command. Thin: every command calls the Python API.

Commands live in one module per group and are imported only when run, so ``genzoo list``
imports no torch. genzoo's errors become one-line messages with the exit codes documented in
:mod:`genzoo.errors`; no traceback is printed for user error (set ``GENZOO_DEBUG=1`` to see one).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

import click

from genzoo.errors import GenzooError

# command name -> "module:attribute" (imported on use)
COMMANDS = {
    "list": "genzoo.cli.zoo:list_cmd",
    "show": "genzoo.cli.zoo:show_cmd",
    "validate": "genzoo.cli.zoo:validate_cmd",
    "schema": "genzoo.cli.zoo:schema_cmd",
    "plugins": "genzoo.cli.zoo:plugins_cmd",
    "sample": "genzoo.cli.generate:sample_cmd",
    "interpolate": "genzoo.cli.generate:interpolate_cmd",
    "train": "genzoo.cli.train:train_cmd",
    "convert": "genzoo.cli.convert:convert_cmd",
    "eval": "genzoo.cli.evaluate:eval_cmd",
    "directions": "genzoo.cli.latent:directions_cmd",
    "encode": "genzoo.cli.autoencode:encode_cmd",
    "reconstruct": "genzoo.cli.autoencode:reconstruct_cmd",
    "denoise": "genzoo.cli.autoencode:denoise_cmd",
    "anomaly": "genzoo.cli.autoencode:anomaly_cmd",
    "arithmetic": "genzoo.cli.autoencode:arithmetic_cmd",
    "edit": "genzoo.cli.latent:edit_cmd",
    "mix": "genzoo.cli.latent:mix_cmd",
    "project": "genzoo.cli.latent:project_cmd",
    "pull": "genzoo.cli.hub:pull_cmd",
    "push": "genzoo.cli.hub:push_cmd",
    "remove": "genzoo.cli.hub:remove_cmd",
    "verify": "genzoo.cli.hub:verify_cmd",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use, plus commands from plugins."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(COMMANDS)
        names.update(_plugin_commands(ctx))
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return _plugin_commands(ctx).get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GenzooError as exc:
            if os.environ.get("GENZOO_DEBUG"):
                raise
            for line in str(exc).splitlines() or [type(exc).__name__]:
                click.echo(f"error: {line}" if not _has_location(line) else line, err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def _has_location(line: str) -> bool:
    # spec problems already start with "file:line:"
    head = line.split(": ", 1)[0]
    return ":" in head or head.endswith((".yaml", ".yml"))


def _plugin_commands(ctx: click.Context) -> dict[str, click.Command]:
    try:
        zoo = _zoo_from(ctx)
        return {c.name: c.command for c in zoo.registries.commands if c.name not in COMMANDS}
    except GenzooError:
        return {}


def _zoo_from(ctx: click.Context) -> Any:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = make_zoo()
    return root.obj


def make_zoo(**settings: Any) -> Any:
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo

    return Zoo(settings=Settings.load(**settings))


pass_zoo = click.make_pass_decorator(object, ensure=False)


def get_zoo() -> Any:
    """The zoo of the running command."""
    return _zoo_from(click.get_current_context())


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="genzoo")
@click.option("--store", type=click.Path(), help="Folder of pulled entries [GENZOO_STORE].")
@click.option("--cache", type=click.Path(), help="Download cache folder [GENZOO_CACHE].")
@click.option("--device", help="Torch device, e.g. cpu or cuda [GENZOO_DEVICE].")
@click.option(
    "--offline", is_flag=True, default=None, help="Never use the network [GENZOO_OFFLINE]."
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(
    ctx: click.Context,
    store: str | None,
    cache: str | None,
    device: str | None,
    offline: bool | None,
    verbose: int,
) -> None:
    """genzoo: a declarative zoo of generative models.

    \b
    Examples:
      genzoo list
      genzoo sample dcgan-mnist -n 64 --seed 0 -o grid.png
      genzoo sample cgan-mnist --label 7 -o sevens.png
      genzoo show dcgan-mnist
    """
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = make_zoo(store_dir=store, cache_dir=cache, device=device, offline=offline)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``genzoo`` console script."""
    cli.main(args=argv, prog_name="genzoo")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
