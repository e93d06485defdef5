"""Latent commands: directions, edit, project."""

from __future__ import annotations

import click

from genzoo.cli import get_zoo


@click.command("directions")
@click.argument("name")
@click.option(
    "--method", type=click.Choice(["pca", "sefa", "boundary"]), default="pca", show_default=True
)
@click.option("-k", default=10, show_default=True, help="Number of directions.")
@click.option("-n", "--num", default=2000, show_default=True, help="Samples (pca, boundary).")
@click.option(
    "--extractor",
    default="digits",
    show_default=True,
    help="Classifier that labels samples (boundary).",
)
@click.option("--seed", default=0, show_default=True)
def directions_cmd(name: str, method: str, k: int, num: int, extractor: str, seed: int) -> None:
    """Discover latent directions and store them in the entry's directions.safetensors.

    \b
    Examples:
      genzoo directions dcgan-mnist --method pca -k 10
      genzoo directions dcgan-mnist --method boundary      # one direction per digit
    """
    from genzoo import directions

    zoo = get_zoo()
    entry = zoo.find(name)
    model = zoo.load(name)
    clf = zoo.registries.extractors.get(extractor).function()() if method == "boundary" else None
    dirs, names, prov = directions.discover(model, method, k=k, n=num, seed=seed, classifier=clf)
    path = directions.save(entry.folder, method, dirs, names, prov)
    click.echo(f"wrote {len(dirs)} {method} directions to {path} in {prov['seconds']} s")
    for i, nm in enumerate(names):
        click.echo(f"  {method}:{i}  {nm}")


@click.command("edit")
@click.argument("name")
@click.option("--seed", default=0, show_default=True, help="Seed of the latent to edit.")
@click.option("--direction", required=True, help="METHOD:INDEX, e.g. pca:0 or boundary:7.")
@click.option("--strength", default="-3..3", show_default=True, help="LOW..HIGH range.")
@click.option("--steps", default=7, show_default=True, help="Images in the strip.")
@click.option("--label", type=int, help="Class label for conditional models.")
@click.option("-o", "--out", default="edit.png", show_default=True, type=click.Path(dir_okay=False))
def edit_cmd(
    name: str, seed: int, direction: str, strength: str, steps: int, label: int | None, out: str
) -> None:
    """Render an edit strip: one latent moved along a stored direction.

    \b
    Example:
      genzoo edit dcgan-mnist --seed 3 --direction pca:0 --strength -3..3 -o edit.png
    """
    import torch

    from genzoo import directions, latent
    from genzoo.imaging import save_grid

    lo, _, hi = strength.partition("..")
    try:
        lo_f, hi_f = float(lo), float(hi)
    except ValueError:
        raise click.BadParameter("use LOW..HIGH, e.g. -3..3", param_hint="--strength") from None
    zoo = get_zoo()
    model = zoo.load(name)
    d = directions.resolve(zoo, name, direction)
    z0 = model.sample_latent(1, torch.Generator().manual_seed(seed))
    z = latent.edit(z0, d, torch.linspace(lo_f, hi_f, steps).tolist())
    labels = model.make_labels(len(z), label)
    with torch.no_grad():
        x = model.decode(
            z.to(model.device), labels=None if labels is None else labels.to(model.device)
        )
    save_grid(x.cpu(), out, nrow=len(x))
    click.echo(f"wrote {out}")


@click.command("project")
@click.argument("name")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--steps", default=300, show_default=True)
@click.option("--time-budget", type=float, help="Seconds at most.")
@click.option("--label", type=int, help="Class label for conditional models.")
@click.option("-o", "--out", default="projection.png", show_default=True)
@click.option("--npy", type=click.Path(dir_okay=False), help="Save the latent as .npy.")
def project_cmd(
    name: str,
    image: str,
    steps: int,
    time_budget: float | None,
    label: int | None,
    out: str,
    npy: str | None,
) -> None:
    """Find the latent that reproduces IMAGE (encoder for autoencoders; optimisation for GANs).

    \b
    Example:
      genzoo project dcgan-mnist my_digit.png -o proj.png --npy z.npy
    """
    import numpy as np
    import torch
    from tqdm.auto import tqdm

    from genzoo.images import read_images
    from genzoo.imaging import save_grid
    from genzoo.projection import project

    zoo = get_zoo()
    model = zoo.load(name)
    target = read_images([image], model.image_shape)
    lab = None if label is None else torch.tensor([label])
    bar = tqdm(total=steps, desc="projecting")
    res = project(
        model,
        target,
        labels=lab,
        steps=steps,
        time_budget=time_budget,
        on_step=lambda i, loss: (bar.update(1), bar.set_postfix(loss=f"{loss:.4f}")),
    )
    bar.close()
    save_grid(torch.cat([target.cpu(), res.image]), out, nrow=2)
    if npy:
        np.save(npy, res.z.numpy())
    click.echo(
        f"pixel MSE {res.loss:.4f} after {res.steps} steps ({res.seconds:.1f} s); wrote {out}"
    )
