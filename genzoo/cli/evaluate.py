"""``genzoo eval``."""

from __future__ import annotations

import json

import click

from genzoo.cli import get_zoo


@click.command("eval")
@click.argument("name")
@click.option("--data", help="Reference data source (default: the spec's training data).")
@click.option("--data-option", multiple=True, help="Data option KEY=VALUE, e.g. split=test.")
@click.option(
    "--metrics",
    default="fd,kid,pr",
    show_default=True,
    help="Comma list of fd, kid, pr, class_consistency, recon, likelihood, compression.",
)
@click.option("-n", "--num", default=10000, show_default=True, help="Generated samples.")
@click.option("--extractor", default="digits", show_default=True, help="Feature extractor.")
@click.option("--seed", default=0, show_default=True, help="Seed of the samples.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the results JSON here.")
@click.option("--card", is_flag=True, help="Write the results into the entry's model card.")
def eval_cmd(
    name: str,
    data: str | None,
    data_option: tuple[str, ...],
    metrics: str,
    num: int,
    extractor: str,
    seed: int,
    out: str | None,
    card: bool,
) -> None:
    """Evaluate an entry: Fréchet distance, KID, precision/recall in a pinned feature space.

    \b
    Example:
      genzoo eval dcgan-mnist -n 10000 -o dcgan-eval.json
      genzoo eval cgan-mnist --metrics fd,class_consistency
      genzoo eval vae-mnist --metrics recon,likelihood --data-option split=test
      genzoo eval ae-mnist --metrics recon,compression --data-option split=test
    """
    from genzoo.cli.train import _parse_options
    from genzoo.metrics.evaluate import evaluate

    zoo = get_zoo()
    model = zoo.load(name)
    res = evaluate(
        zoo,
        model,
        data=data,
        metrics=tuple(m.strip() for m in metrics.split(",")),
        n=num,
        extractor=extractor,
        seed=seed,
        data_options=_parse_options(data_option) or None,
    )
    text = json.dumps(res, indent=2)
    from genzoo.weights import atomic_write

    if out:
        with atomic_write(out, "w") as f:
            f.write(text + "\n")
    click.echo(text)
    if card:
        import shlex
        import sys

        from genzoo.card import set_front_matter, set_section

        entry = zoo.find(name)
        path = entry.folder / "README.md"
        cmd = " ".join(shlex.quote(a) for a in ["genzoo", *sys.argv[1:]])
        rows = "\n".join(f"| {k} | {v} |" for k, v in res.items() if k != "protocol")
        p = res["protocol"]
        ref = p["reference"]
        opts = ", ".join(f"{k}={v}" for k, v in ref["options"].items())
        protocol = f"Reference data: {ref['source']}" + (f" ({opts})" if opts else "")
        protocol += f", {ref['n']} images; seed {p['seed']}"
        if p["samples"]:
            protocol += (
                f"; {p['samples']} samples; feature extractor {p['extractor']} "
                f"(sha256 {str(p['extractor_sha256'])[:12]}…)"
            )
        body = (
            f"| metric | value |\n|---|---|\n{rows}\n\n"
            f"{protocol}; {p['seconds']} s on this machine's CPU.\n\n```bash\n{cmd}\n```"
        )
        text = set_section(entry.card(), "Evaluation", body)
        metrics_fm = {k: v for k, v in res.items() if k != "protocol"}
        text = set_front_matter(text, {"genzoo_metrics": metrics_fm})
        with atomic_write(path, "w") as f:
            f.write(text)
        click.echo(f"updated {path}")
