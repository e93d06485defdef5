"""Autoencoder applications: encode, reconstruct, denoise, anomaly (any model that can)."""

from __future__ import annotations

from pathlib import Path

import click

from genzoo.cli import get_zoo


def _load_images(model, paths):  # type: ignore[no-untyped-def]
    from genzoo.images import read_images

    return read_images(list(paths), model.image_shape)


def _need(model, capability: str) -> None:  # type: ignore[no-untyped-def]
    from genzoo.errors import CapabilityError

    if capability not in model.capabilities:
        raise CapabilityError(f"{model.spec.name} ({model.spec.family}) cannot {capability}")


@click.command("encode")
@click.argument("name")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", default="codes.npy", show_default=True, help="N×D codes (.npy).")
def encode_cmd(name: str, images: tuple[str, ...], out: str) -> None:
    """Encode images to latent codes (features for other models).

    \b
    Example:
      genzoo encode vae-mnist digit1.png digit2.png -o codes.npy
    """
    import numpy as np
    import torch

    model = get_zoo().load(name)
    _need(model, "encode")
    with torch.no_grad():
        z = model.encode(_load_images(model, images))
    np.save(out, z.numpy())
    nbytes = z[0].numel() * 4
    click.echo(f"wrote {tuple(z.shape)} codes to {out} ({nbytes} bytes per image as float32)")


@click.command("reconstruct")
@click.argument("name")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", default="reconstruction.png", show_default=True)
@click.option("--noise", type=float, default=0.0, help="Mask this fraction of pixels first.")
@click.option("--seed", default=0, show_default=True)
def reconstruct_cmd(name: str, images: tuple[str, ...], out: str, noise: float, seed: int) -> None:
    """Show inputs (top) and reconstructions (bottom); --noise masks pixels first.

    \b
    Examples:
      genzoo reconstruct ae-mnist digit.png -o rec.png
      genzoo reconstruct dae-mnist digit.png --noise 0.4 -o denoised.png
    """
    import torch

    from genzoo.images import mask_pixels
    from genzoo.imaging import save_grid

    model = get_zoo().load(name)
    _need(model, "reconstruct")
    x = mask_pixels(_load_images(model, images), noise, seed)
    with torch.no_grad():
        r = model.reconstruct(x)
    save_grid(torch.cat([x, r]), out, nrow=len(x))
    mse = float(((r - x) ** 2).mean())
    click.echo(f"wrote {out} (mean squared error {mse:.4f} on the [-1, 1] scale)")


@click.command("denoise")
@click.argument("name")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", default="denoised.png", show_default=True)
def denoise_cmd(name: str, images: tuple[str, ...], out: str) -> None:
    """Denoise images with a (denoising) autoencoder: inputs on top, outputs below.

    \b
    Example:
      genzoo denoise dae-mnist noisy.png -o clean.png
    """
    import torch

    from genzoo.imaging import save_grid

    model = get_zoo().load(name)
    _need(model, "denoise")
    x = _load_images(model, images)
    with torch.no_grad():
        save_grid(torch.cat([x, model.reconstruct(x)]), out, nrow=len(x))
    click.echo(f"wrote {out}")


@click.command("anomaly")
@click.argument("name")
@click.argument("images", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--threshold",
    default="auto",
    show_default=True,
    help="A score, or auto: the entry's calibrated threshold.",
)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Calibrate on held-out normal data (--normal-option) and store anomaly.json.",
)
@click.option("--data", default=None, help="Data source for --calibrate (default: training data).")
@click.option("--normal-option", multiple=True, help="Data options of normal data, KEY=VALUE.")
@click.option("--anomalous-option", multiple=True, help="Data options of anomalies, KEY=VALUE.")
@click.option("--quantile", default=0.99, show_default=True, help="Quantile of normal scores.")
def anomaly_cmd(
    name: str,
    images: tuple[str, ...],
    threshold: str,
    calibrate: bool,
    data: str | None,
    normal_option: tuple[str, ...],
    anomalous_option: tuple[str, ...],
    quantile: float,
) -> None:
    """Score images by reconstruction error against a threshold (anomaly detection).

    \b
    Examples:
      genzoo anomaly ae-anomaly-mnist a.png b.png
      genzoo anomaly ae-anomaly-mnist --calibrate --normal-option split=test \\
          --normal-option 'classes=[0]' --anomalous-option split=test \\
          --anomalous-option 'classes=[1,2,3,4,5,6,7,8,9]'
    """
    import json

    from genzoo.cli.train import _parse_options
    from genzoo.errors import CapabilityError
    from genzoo.metrics import anomaly
    from genzoo.train import load_data
    from genzoo.weights import atomic_write

    zoo = get_zoo()
    entry = zoo.find(name)
    model = zoo.load(name)
    if calibrate:
        normal = load_data(zoo, model.spec, data, _parse_options(normal_option))
        s_norm = anomaly.anomaly_scores(model, normal.x)
        info = {
            "threshold": anomaly.calibrate_threshold(s_norm, quantile),
            "quantile": quantile,
            "normal": {
                "source": normal.info.get("name"),
                "options": list(normal_option),
                "n": len(normal),
            },
        }
        if anomalous_option:
            anom = load_data(zoo, model.spec, data, _parse_options(anomalous_option))
            s_anom = anomaly.anomaly_scores(model, anom.x)
            info["roc_auc"] = round(anomaly.roc_auc(s_norm, s_anom), 4)
            info["anomalous"] = {
                "options": list(anomalous_option),
                "n": len(anom),
                "flagged": round(float((s_anom > info["threshold"]).double().mean()), 4),
            }
        with atomic_write(Path(entry.folder) / anomaly.FILE, "w") as f:
            json.dump(info, f, indent=2)
        click.echo(json.dumps(info, indent=2))
        if not images:
            return
    if not images:
        raise CapabilityError("give images to score, or --calibrate")
    if threshold == "auto":
        stored = anomaly.load_threshold(entry.folder)
        if stored is None:
            raise CapabilityError(f"{name} has no calibrated threshold: run with --calibrate")
        t = float(stored["threshold"])
    else:
        t = float(threshold)
    scores = anomaly.anomaly_scores(model, _load_images(model, images))
    for p, s in zip(images, scores.tolist(), strict=True):
        click.echo(f"{'ANOMALY' if s > t else 'normal '}  {s:.5f}  {p}")


@click.command("arithmetic")
@click.argument("name")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
@click.argument("c", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", default="arithmetic.png", show_default=True)
def arithmetic_cmd(name: str, a: str, b: str, c: str, out: str) -> None:
    """Latent arithmetic: decode(encode(A) − encode(B) + encode(C)); shows A, B, C and the result.

    \b
    Example:
      genzoo arithmetic vae-mnist thick_seven.png thin_seven.png thin_one.png -o thick_one.png
    """
    import torch

    from genzoo import latent
    from genzoo.imaging import save_grid

    model = get_zoo().load(name)
    _need(model, "encode")
    x = _load_images(model, (a, b, c))
    with torch.no_grad():
        z = model.encode(x)
        r = model.decode(latent.arithmetic(z[0:1], z[1:2], z[2:3]))
    save_grid(torch.cat([x, r]), out, nrow=4)
    click.echo(f"wrote {out}")
