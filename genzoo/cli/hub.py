"""Hub commands: pull, push, verify."""

from __future__ import annotations

import sys

import click

from genzoo.cli import get_zoo


@click.command("pull")
@click.argument("name")
@click.option("--revision", help="Branch, tag or commit (default: the entry's pinned revision).")
@click.option("--accept-license", is_flag=True, help="Accept a restricted licence without asking.")
@click.option("--force", is_flag=True, help="Download and install again even if up to date.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def pull_cmd(
    name: str, revision: str | None, accept_license: bool, force: bool, no_progress: bool
) -> None:
    """Download an entry's pinned weights, verify, convert and install them.

    Restricted licences (e.g. NVIDIA's non-commercial licence of the StyleGAN weights) are shown
    and must be accepted first: interactively, or with --accept-license.

    \b
    Examples:
      genzoo pull stylegan-ffhq --accept-license
      genzoo --offline pull stylegan-ffhq      # succeeds only from the local cache
    """
    from genzoo import hub

    def ask(text: str) -> bool:
        return click.confirm(text, default=False, err=True)

    res = hub.pull(
        get_zoo(),
        name,
        revision=revision,
        accept_license=accept_license,
        ask=ask,
        force=force,
        progress=not no_progress,
    )
    if res.downloaded:
        click.echo(
            f"installed {res.name} into {res.folder}"
            + (f" (commit {res.commit[:12]})" if res.commit else "")
        )
    else:
        click.echo(f"{res.name} is up to date ({res.folder})")


@click.command("remove")
@click.argument("name")
def remove_cmd(name: str) -> None:
    """Delete a pulled entry from the local store (the Hub cache is kept).

    \b
    Example:
      genzoo remove stylegan-ffhq
    """
    from genzoo import hub

    folder = hub.remove(get_zoo(), name)
    click.echo(f"removed {name} ({folder})")


@click.command("push")
@click.argument("name_or_dir")
@click.option("--repo", required=True, help="Hub repo OWNER/NAME (created if needed).")
@click.option("--private", is_flag=True, help="Create the repo as private.")
@click.option("--token", envvar="HF_TOKEN", help="Hub token [HF_TOKEN].")
@click.option("-m", "--message", help="Commit message.")
def push_cmd(
    name_or_dir: str, repo: str, private: bool, token: str | None, message: str | None
) -> None:
    """Upload an entry (genzoo.yaml, model.safetensors, README.md card, config.json).

    Pickle-like files are never uploaded.

    \b
    Example:
      genzoo push runs/dcgan/entry/dcgan-mnist --repo me/dcgan-mnist
    """
    from genzoo import hub

    commit = hub.push(
        get_zoo(), name_or_dir, repo, private=private, token=token, commit_message=message
    )
    click.echo(f"pushed to {repo}: {commit}")


@click.command("verify")
@click.argument("name", required=False)
def verify_cmd(name: str | None) -> None:
    """Re-hash local weights against their sha256 pins (exit 4 on a mismatch).

    \b
    Examples:
      genzoo verify
      genzoo verify stylegan-ffhq
    """
    from genzoo import hub

    results = hub.verify(get_zoo(), name)
    bad = 0
    for n, ok, msg in results:
        click.echo(f"{'ok ' if ok else 'BAD'} {n}: {msg}", err=not ok)
        bad += not ok
    if bad:
        sys.exit(4)
