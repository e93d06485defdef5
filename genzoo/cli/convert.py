"""``genzoo convert``: import a foreign checkpoint as a zoo entry."""

from __future__ import annotations

import click

from genzoo.cli import get_zoo


@click.command(
    "convert", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.option("--from", "converter", required=True, help="Converter name (see `genzoo plugins`).")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Entry folder.")
@click.option("--name", help="Entry name (default: the folder name).")
@click.pass_context
def convert_cmd(
    ctx: click.Context, converter: str, source: str, out: str, name: str | None
) -> None:
    """Convert a foreign checkpoint into a zoo entry folder.

    Extra --key value options go to the converter.

    \b
    Examples:
      genzoo convert --from pytorch-dcgan netG_epoch_24.pth --nz 100 --ngf 64 --nc 3 -o my-dcgan
      genzoo convert --from pgan celebaHQ_256.pth -o celeba-progan
    """
    import yaml

    from genzoo.weights.convert import convert_to_entry

    options = {}
    args = list(ctx.args)
    while args:
        key = args.pop(0)
        if not key.startswith("--") or not args:
            raise click.UsageError(f"converter options must be --key value pairs, got {key!r}")
        options[key[2:].replace("-", "_")] = yaml.safe_load(args.pop(0))
    folder = convert_to_entry(get_zoo(), converter, source, out, name=name, **options)
    click.echo(f"wrote entry {folder}")
