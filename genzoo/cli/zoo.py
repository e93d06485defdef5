"""Commands that read the zoo: list, show, validate, schema, plugins. No torch is imported."""

from __future__ import annotations

import fnmatch
import json
import sys

import click

from genzoo.cli import get_zoo


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max([len(c), *(len(str(r.get(c) or "")) for r in rows)]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    for r in rows:
        lines.append("  ".join(str(r.get(c) or "").ljust(widths[c]) for c in columns).rstrip())
    return "\n".join(lines)


@click.command("list")
@click.argument("pattern", required=False)
@click.option("--family", "-f", help="Only entries of this family.")
@click.option("--local", is_flag=True, help="Only entries whose weights are local.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(pattern: str | None, family: str | None, local: bool, as_json: bool) -> None:
    """List zoo entries, optionally filtered by a glob PATTERN.

    \b
    Examples:
      genzoo list
      genzoo list '*mnist*' --family dcgan
      genzoo list --json
    """
    zoo = get_zoo()
    rows = [e.summary() for e in zoo.entries()]
    if pattern:
        rows = [r for r in rows if fnmatch.fnmatch(r["name"], pattern)]
    if family:
        rows = [r for r in rows if r["family"] == family]
    if local:
        rows = [r for r in rows if r["state"] == "local"]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no entries match", err=True)
        return
    click.echo(_table(rows, ["name", "family", "task", "data", "state", "license", "description"]))
    for p in zoo.index_problems:
        click.echo(f"warning: {p}", err=True)


@click.command("show")
@click.argument("name")
@click.option("--card/--no-card", default=True, help="Print the model card.")
def show_cmd(name: str, card: bool) -> None:
    """Show an entry: its spec, where its weights are and its model card.

    \b
    Example:
      genzoo show dcgan-mnist
    """
    from genzoo.spec.loading import dump_spec

    zoo = get_zoo()
    entry = zoo.find(name)
    if entry.spec is None:
        from genzoo.errors import SpecError

        raise SpecError(entry.error or f"{entry.path}: invalid entry")
    w = entry.weights_file()
    click.echo(f"name:     {entry.name}")
    click.echo(f"folder:   {entry.folder}  ({entry.origin})")
    click.echo(f"weights:  {w if w else 'not local (remote: genzoo pull ' + entry.name + ')'}")
    click.echo("--- genzoo.yaml ---")
    click.echo(dump_spec(entry.spec).rstrip())
    if card:
        text = entry.card()
        if text:
            click.echo("--- README.md ---")
            click.echo(text.rstrip())


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate_cmd(paths: tuple[str, ...]) -> None:
    """Validate spec files or entry folders: exit 0 when all are valid, 1 otherwise.

    Prints one line per problem: FILE:LINE: spec.FIELD.PATH: message.

    \b
    Example:
      genzoo validate zoo_specs/*/genzoo.yaml
    """
    zoo = get_zoo()
    bad = 0
    for p in paths:
        problems = zoo.validate(p)
        for line in problems:
            click.echo(line, err=True)
        bad += bool(problems)
    if bad:
        click.echo(f"{bad} of {len(paths)} spec(s) invalid", err=True)
        sys.exit(1)
    click.echo(f"{len(paths)} spec(s) valid")


@click.command("schema")
@click.option("--indent", default=2, show_default=True, help="JSON indentation.")
def schema_cmd(indent: int) -> None:
    """Print the JSON Schema of genzoo specs, with every installed family's arch block.

    \b
    Example:
      genzoo schema > genzoo.schema.json
    """
    from genzoo.spec.schema import full_schema

    click.echo(json.dumps(full_schema(get_zoo().registries), indent=indent))


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_cmd(as_json: bool) -> None:
    """List plugins, what each contributes, and any that failed (with the error).

    Exit code 0 even when a plugin failed: the rest of genzoo keeps working.
    """
    reports = get_zoo().plugin_reports()
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in reports], indent=2))
        return
    for r in reports:
        click.echo(f"{r.name} [{r.status}]  ({r.source})")
        for c in r.contributions:
            click.echo(f"    {c}")
        for e in r.errors:
            click.echo(f"    ERROR: {e}")
