"""Commands that run a model: sample, interpolate."""

from __future__ import annotations

from pathlib import Path

import click

from genzoo.cli import get_zoo


def _load(name: str):  # type: ignore[no-untyped-def]
    return get_zoo().load(name)


@click.command("sample")
@click.argument("name")
@click.option("-n", "--num", default=16, show_default=True, help="Number of samples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the latents.")
@click.option("--label", type=int, multiple=True, help="Class label (repeat to cycle several).")
@click.option("--truncation", "-t", type=float, help="Truncation ψ in [0, 1] (1: off).")
@click.option("--nrow", type=int, help="Images per grid row (default √n).")
@click.option("--domain", help="Domain of a multi-domain (tabular) model; writes a CSV.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Output grid (PNG/JPEG) or CSV.")
@click.option("--npy", type=click.Path(dir_okay=False), help="Also save the samples as .npy.")
def sample_cmd(
    name: str,
    num: int,
    seed: int,
    label: tuple[int, ...],
    truncation: float | None,
    nrow: int | None,
    domain: str | None,
    out: str | None,
    npy: str | None,
) -> None:
    """Sample from a zoo entry: a grid of images, or rows of a table as CSV.

    \b
    Examples:
      genzoo sample dcgan-mnist -n 64 --seed 0 -o grid.png
      genzoo sample cgan-mnist -n 16 --label 7 -o sevens.png
      genzoo sample dcgan-mnist -n 1000 --npy samples.npy
      genzoo sample radialgan-breast-cancer --domain hospital_b -n 100 -o rows.csv
    """
    import numpy as np

    from genzoo.errors import CapabilityError
    from genzoo.imaging import save_grid

    if num < 1:
        raise CapabilityError("-n must be at least 1")
    if truncation is not None and not 0 <= truncation <= 1:
        raise CapabilityError("--truncation must be in [0, 1]")
    model = _load(name)
    if model.spec.data.kind == "tabular":
        from genzoo.data.tabular import write_table

        if domain is None:
            names = model.spec.conditions.names if model.spec.conditions else []
            raise CapabilityError(f"{name} is a tabular model: pass --domain (one of {names})")
        out = out or "samples.csv"
        if Path(out).suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise CapabilityError(
                f"{name} is a tabular model: -o must be a .csv or .parquet file, not {out!r}"
            )
        write_table(model.sample_table(num, domain=domain, seed=seed), out)
        click.echo(f"wrote {num} rows of {domain} from {model.spec.name} to {out}")
        return
    if "sample" not in model.capabilities:
        raise CapabilityError(
            f"{name} ({model.spec.family}) does not sample: its codes follow no prior, so "
            f"decoded random codes mean nothing; use genzoo reconstruct / encode / denoise"
        )
    out = out or "samples.png"
    labels: int | list[int] | None = None
    if len(label) == 1:
        labels = label[0]
    elif label:
        labels = [label[i % len(label)] for i in range(num)]
    x = model.sample(num, seed=seed, labels=labels, truncation=truncation)
    save_grid(x, out, nrow=nrow)
    click.echo(f"wrote {num} samples of {model.spec.name} to {out}")
    if npy:
        np.save(npy, x.numpy())
        click.echo(f"wrote {npy} {tuple(x.shape)} float32 in [-1, 1]")


@click.command("interpolate", context_settings={"allow_extra_args": True})
@click.argument("name")
@click.option("--seeds", type=int, multiple=True, help="Endpoint seeds: --seeds 1 2 [3 ...].")
@click.option(
    "--images",
    type=click.Path(exists=True, dir_okay=False),
    multiple=True,
    help="Endpoint images, encoded by the model's encoder: --images a.png b.png.",
)
@click.option("--steps", default=8, show_default=True, help="Frames per segment.")
@click.option("--slerp", is_flag=True, help="Spherical instead of linear interpolation.")
@click.option("--label", type=int, help="Class label for conditional models.")
@click.option(
    "--space",
    type=click.Choice(["z", "w"]),
    default="z",
    show_default=True,
    help="Interpolate in z, or in the style space w of style-based models (smoother).",
)
@click.option("--truncation", "-t", type=float, help="Truncation ψ in [0, 1] (1: off).")
@click.option("--fps", default=12.0, show_default=True, help="Frames per second of a GIF.")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default="strip.png",
    show_default=True,
    help="A .png strip or a .gif animation.",
)
@click.pass_context
def interpolate_cmd(
    ctx: click.Context,
    name: str,
    seeds: tuple[int, ...],
    images: tuple[str, ...],
    steps: int,
    slerp: bool,
    label: int | None,
    space: str,
    truncation: float | None,
    fps: float,
    out: str,
) -> None:
    """Interpolate between the latents of two or more seeds, or of encoded images.

    \b
    Examples:
      genzoo interpolate dcgan-mnist --seeds 1 2 --steps 8 -o strip.png
      genzoo interpolate dcgan-mnist --seeds 1 2 3 --slerp -o morph.gif
      genzoo interpolate vae-mnist --images zero.png nine.png -o zero-to-nine.png
      genzoo interpolate stylegan-ffhq --seeds 1 2 --space w -t 0.7 -o faces.png
    """
    import torch

    from genzoo import latent
    from genzoo.errors import CapabilityError
    from genzoo.imaging import save_animation, save_grid

    # `--seeds 1 2 3`: click hands the values after the first to us as extra arguments
    extra = list(ctx.args)
    if extra and seeds:
        try:
            seeds = (*seeds, *(int(a) for a in extra))
        except ValueError:
            raise click.BadParameter(f"not seeds: {extra}", param_hint="--seeds") from None
    elif extra and images:
        missing = [a for a in extra if not Path(a).is_file()]
        if missing:
            raise click.BadParameter(f"no such image file: {missing[0]}", param_hint="--images")
        images = (*images, *extra)
    elif extra:
        raise click.UsageError(f"unexpected arguments {extra}")
    model = _load(name)
    if images:
        if "encode" not in model.capabilities:
            raise CapabilityError(f"{name} has no encoder: use --seeds")
        if len(images) < 2:
            raise CapabilityError("--images needs at least two images")
        from genzoo.images import read_images

        with torch.no_grad():
            zs = model.encode(read_images(list(images), model.image_shape).to(model.device)).cpu()
    else:
        if len(seeds) < 2:
            raise CapabilityError("--seeds needs at least two seeds, e.g. --seeds 1 2")
        zs = torch.cat([model.sample_latent(1, torch.Generator().manual_seed(s)) for s in seeds])
    if truncation is not None and not 0 <= truncation <= 1:
        raise CapabilityError("--truncation must be in [0, 1]")
    if truncation is not None and "truncate" not in model.capabilities:
        raise CapabilityError(f"{name} does not support truncation")
    if space == "w":
        if "w_space" not in model.capabilities or images:
            raise CapabilityError(f"--space w needs seeds and a style-based model; {name} has no w")
        with torch.no_grad():
            ws = model.mapping(zs.to(model.device), truncation)  # K×L×W
            path = latent.path(ws.flatten(1).cpu(), steps, spherical=slerp)
            x = model.synthesis(path.view(-1, *ws.shape[1:]).to(model.device))
    else:
        z = latent.path(zs, steps, spherical=slerp)
        labels = model.make_labels(len(z), label)
        with torch.no_grad():
            y = None if labels is None else labels.to(model.device)
            x = model.decode(z.to(model.device), labels=y, truncation=truncation)
    if Path(out).suffix.lower() == ".gif":
        save_animation(x.cpu(), out, fps=fps)
    else:
        save_grid(x.cpu(), out, nrow=len(x))
    click.echo(f"wrote {len(x)} frames to {out}")
