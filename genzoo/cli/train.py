"""``genzoo train``: train a spec and export a zoo entry."""

from __future__ import annotations

from pathlib import Path

import click

from genzoo.cli import get_zoo


def _parse_options(items: tuple[str, ...]) -> dict:
    import yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--data-option")
        out[key] = yaml.safe_load(value)
    return out


@click.command("train")
@click.argument("spec", type=click.Path(exists=True))
@click.option("--data", help="Data source name, image folder or .npz (default: training.data).")
@click.option("--data-option", multiple=True, help="Data source option KEY=VALUE (repeatable).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Run folder: checkpoint, metrics.jsonl, samples/, entry/.",
)
@click.option("--steps", type=int, help="Override training.steps.")
@click.option("--resume", is_flag=True, help="Continue from the run folder's checkpoint.")
@click.option(
    "--export",
    type=click.Path(file_okay=False),
    help="Entry folder to export to (default: OUT/entry/NAME).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def train_cmd(
    spec: str,
    data: str | None,
    data_option: tuple[str, ...],
    out_dir: str,
    steps: int | None,
    resume: bool,
    export: str | None,
    no_progress: bool,
) -> None:
    """Train a model from a SPEC file and export it as a zoo entry.

    \b
    Examples:
      genzoo train zoo_specs/dcgan-mnist/genzoo.yaml --out runs/dcgan
      genzoo train my.yaml --data ./faces --out runs/faces --steps 20000
      genzoo train my.yaml --out runs/faces --resume
      torchrun --nproc-per-node 2 -m genzoo train my.yaml --out runs/ddp
    """
    from genzoo.train import export_entry, load_data, make_trainer

    zoo = get_zoo()
    s = zoo.load_spec(spec)
    dataset = load_data(zoo, s, data, _parse_options(data_option))
    trainer = make_trainer(
        zoo, s, dataset, out_dir, device=zoo.settings.device, steps=steps, progress=not no_progress
    )
    result = trainer.run(resume=resume)
    if trainer.dist.rank != 0:
        return
    folder = Path(export) if export else Path(out_dir) / "entry" / s.name
    export_entry(trainer, result, folder)
    click.echo(
        f"trained {result.steps} steps in {result.seconds:.0f} s "
        f"({result.images_per_second:.0f} images/s); entry written to {folder}"
    )
