"""Latent commands: directions, edit, project."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from genzoo.cli import get_zoo

if TYPE_CHECKING:
    from genzoo.projection import Projection


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


@click.command("mix")
@click.argument("name")
@click.option("--rows", required=True, help="Row seeds, e.g. 1,2,3 (their styles are kept).")
@click.option("--cols", required=True, help="Column seeds, e.g. 4,5,6 (the mixed-in layers).")
@click.option(
    "--layers",
    default="coarse",
    show_default=True,
    help="Styles taken from the columns: coarse, middle, fine, or a range like 2-5.",
)
@click.option("-t", "--truncation", type=float, help="ψ in [0, 1] for every latent.")
@click.option("-o", "--out", default="mix.png", show_default=True, type=click.Path(dir_okay=False))
def mix_cmd(
    name: str,
    rows: str,
    cols: str,
    layers: str,
    truncation: float | None,
    out: str,
) -> None:
    """Style mixing for style-based models: the paper's figure, columns' images on top, rows'
    down the left, each inner cell a row's styles with LAYERS from the column.

    \b
    Examples:
      genzoo mix stylegan-mnist --rows 1,2,3 --cols 4,5,6,7 --layers coarse -o coarse.png
      genzoo mix stylegan-ffhq --rows 1,2 --cols 3,4 --layers fine -t 0.7 -o fine.png
    """
    import torch

    from genzoo.errors import CapabilityError
    from genzoo.imaging import save_grid
    from genzoo.latent import layer_range

    def seeds(text: str, hint: str) -> tuple[int, ...]:
        try:
            out = tuple(int(t) for t in text.replace(",", " ").split())
        except ValueError:
            out = ()
        if not out or min(out) < 0:
            raise click.BadParameter(f"seeds ≥ 0 like 1,2,3, not {text!r}", param_hint=hint)
        return out

    row_seeds, col_seeds = seeds(rows, "--rows"), seeds(cols, "--cols")
    model = get_zoo().load(name)
    if "style_mix" not in model.capabilities:
        raise CapabilityError(f"{name} ({model.spec.family}) has no styles to mix")
    try:
        first, last = layer_range(layers, model.num_ws)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--layers") from None

    def zs(seeds: tuple[int, ...]) -> torch.Tensor:
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        return torch.cat([model.sample_latent(1, g) for g in gens]).to(model.device)

    zr, zc = zs(row_seeds), zs(col_seeds)
    with torch.no_grad():
        top = model.decode(zc, truncation=truncation)
        left = model.decode(zr, truncation=truncation)
        mixed = model.mix(zr, zc, range(first, last + 1), truncation=truncation)
    cells = [torch.full_like(top[:1], -1.0), top]
    for i in range(len(zr)):
        cells += [left[i : i + 1], mixed[i * len(zc) : (i + 1) * len(zc)]]
    save_grid(torch.cat(cells).cpu(), out, nrow=len(zc) + 1)
    click.echo(f"wrote {out}: styles {first}-{last} of {model.num_ws} from the columns")


#: λ of the digit classifier's feature distance when it fits the image (see ``project``): at
#: the start of a projection the feature MSE is about 20× the pixel MSE, so 0.03 makes the two
#: terms comparable.
DIGITS_FEATURE_WEIGHT = 0.03


def _digits_fit(shape: tuple[int, int, int]) -> bool:
    """Whether the ``digits`` extractor (28×28 grey input) suits images of ``shape`` (C, H, W)."""
    c, h, _ = shape
    return c == 1 and h <= 64


@click.command("project")
@click.argument("name")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--space",
    type=click.Choice(["z", "w", "w+"]),
    help="Latent space to optimise [default: w+ for models with a w space, else z].",
)
@click.option("--steps", default=300, show_default=True, help="Optimisation steps at most.")
@click.option(
    "--time-budget",
    "--seconds",
    "time_budget",
    type=float,
    help="Seconds at most; the run stops early and says so.",
)
@click.option(
    "--feature-weight",
    type=float,
    help=(
        "λ in the loss pixel MSE + λ·feature MSE, features from genzoo's digit classifier "
        f"[default: {DIGITS_FEATURE_WEIGHT} for grey images up to 64×64, which it fits; "
        "else 0: pixels only]."
    ),
)
@click.option("--label", type=int, help="Class label for conditional models.")
@click.option(
    "-o",
    "--out",
    default="projection.png",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Strip: the target, then the reconstruction.",
)
@click.option(
    "--npy",
    type=click.Path(dir_okay=False),
    help="Where to save the latent [default: OUT with the suffix .npy].",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar.")
def project_cmd(
    name: str,
    image: str,
    space: str | None,
    steps: int,
    time_budget: float | None,
    feature_weight: float | None,
    label: int | None,
    out: str,
    npy: str | None,
    progress: bool,
) -> None:
    """Find the latent that reproduces IMAGE: optimisation in z, w or per-layer w (w+) for
    GANs, the encoder for autoencoders and VAEs.

    Writes the strip (target | reconstruction) to OUT and the latent (1×Z for z, 1×W for w,
    1×L×W for w+) as .npy.

    \b
    Examples:
      genzoo project stylegan-mnist my_digit.png -o proj.png            # w+, 1×6×128
      genzoo project stylegan-mnist my_digit.png --space w --seconds 10
      genzoo project dcgan-mnist my_digit.png -o proj.png --npy z.npy
    """
    from pathlib import Path

    import numpy as np
    import torch

    from genzoo.errors import CapabilityError
    from genzoo.images import read_images
    from genzoo.imaging import save_grid
    from genzoo.projection import check_space, project

    zoo = get_zoo()
    model = zoo.load(name)
    if model.spec.data.kind != "image":
        raise CapabilityError(f"{name} is not an image model: there is nothing to project")
    space = space or ("w+" if "w_space" in model.capabilities else "z")
    check_space(model, space)
    target = read_images([image], model.image_shape)
    encoder = space == "z" and "encode" in model.capabilities
    if feature_weight is None:
        feature_weight = DIGITS_FEATURE_WEIGHT if _digits_fit(model.image_shape) else 0.0
    use_features = feature_weight > 0 and not encoder
    ext = zoo.registries.extractors.get("digits").function()() if use_features else None
    res = project(
        model,
        target,
        space=space,
        labels=model.make_labels(1, label),
        steps=steps,
        time_budget=time_budget,
        features=ext,
        feature_weight=feature_weight,
        progress=progress,
    )
    save_grid(torch.cat([target.cpu(), res.image]), out, nrow=2)
    npy_path = npy or str(Path(out).with_suffix(".npy"))
    if not npy_path.endswith(".npy"):
        npy_path += ".npy"  # what np.save would write
    np.save(npy_path, res.latent.numpy())
    click.echo(_summary(res, feature_weight, time_budget, encoder))
    shape = "×".join(map(str, res.latent.shape))
    click.echo(
        f"wrote {out} (target | reconstruction) and the {space} latent ({shape}) to {npy_path}"
    )


def _summary(res: Projection, weight: float, budget: float | None, encoder: bool) -> str:
    """One line: the final losses, the steps and the time of a projection."""
    how = "by the encoder" if encoder else f"after {res.steps} steps"
    feats = (
        "" if res.feature_loss is None else f", feature MSE {res.feature_loss:.4f} (λ {weight:g})"
    )
    early = f" (stopped at the {budget:g} s time budget)" if res.stopped_early else ""
    return f"pixel MSE {res.loss:.4f}{feats} {how} in {res.seconds:.1f} s{early}"
