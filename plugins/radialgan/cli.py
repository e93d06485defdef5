"""RadialGAN commands (contributed through the genzoo_register_commands hook)."""

from __future__ import annotations

import json

import click


@click.command("translate")
@click.argument("name")
@click.argument("rows", type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "from_domain", required=True, help="Domain of the input rows.")
@click.option("--to", "to_domain", required=True, help="Domain to translate into.")
@click.option("-o", "--out", default="translated.csv", show_default=True)
def translate_cmd(name: str, rows: str, from_domain: str, to_domain: str, out: str) -> None:
    """Translate rows of one domain into another: G_to(E_from(x)).

    \b
    Example:
      genzoo translate radialgan-breast-cancer a.csv --from hospital_a --to hospital_c -o c.csv
    """
    from genzoo.cli import get_zoo
    from genzoo.data.tabular import read_table, write_table

    model = get_zoo().load(name)
    table = read_table(rows)
    keep = (
        set(model.spec.arch.domain_columns[from_domain]) if from_domain in model.domains else set()
    )
    result = model.translate({k: v for k, v in table.items() if k in keep}, from_domain, to_domain)
    write_table(result, out)
    click.echo(f"wrote {len(next(iter(result.values())))} rows of {to_domain} to {out}")


@click.command("radialgan-utility")
@click.argument("spec", type=click.Path(exists=True))
@click.option("--seeds", default=5, show_default=True)
@click.option("--steps", type=int, help="Override training.steps.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the JSON here.")
def utility_cmd(spec: str, seeds: int, steps: int | None, out: str | None) -> None:
    """Measure RadialGAN's augmentation utility on the breast-cancer hospitals (several seeds).

    \b
    Example:
      genzoo radialgan-utility zoo_specs/radialgan-breast-cancer --seeds 5
    """
    from genzoo.cli import get_zoo
    from genzoo_plugins.radialgan.utility import run_utility

    zoo = get_zoo()
    res = run_utility(zoo, zoo.load_spec(spec), seeds=seeds, steps=steps)
    text = json.dumps(res, indent=2)
    if out:
        from genzoo.weights import atomic_write

        with atomic_write(out, "w") as f:
            f.write(text + "\n")
    click.echo(text)
