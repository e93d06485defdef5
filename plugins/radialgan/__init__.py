"""genzoo plugin: RadialGAN (multi-domain tabular synthesis), tabular data sources and the
``genzoo translate`` / ``genzoo radialgan-utility`` commands. Imports no torch."""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import Command, DataSource, Family
from genzoo_plugins.radialgan.spec import RadialGANArch, check


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            name="radialgan",
            arch=RadialGANArch,
            model="genzoo_plugins.radialgan.model:RadialGAN",
            description="RadialGAN (Yoon et al. 2018): domains mapped through one latent space",
            tasks=("multi-domain",),
            data_kinds=("tabular",),
            check=check,
        )
    )


@hookimpl
def genzoo_register_data_sources(register):  # type: ignore[no-untyped-def]
    register(
        DataSource(
            "table",
            "genzoo_plugins.radialgan.data:table_source",
            kind="tabular",
            description="a CSV/Parquet file (option path; domain_column or one file per domain)",
        )
    )
    register(
        DataSource(
            "breast-cancer-hospitals",
            "genzoo_plugins.radialgan.data:breast_cancer_hospitals",
            kind="tabular",
            description="sklearn breast-cancer rows in 3 'hospitals' with overlapping features",
        )
    )


@hookimpl
def genzoo_register_commands(register):  # type: ignore[no-untyped-def]
    from genzoo_plugins.radialgan.cli import translate_cmd, utility_cmd

    register(Command("translate", translate_cmd))
    register(Command("radialgan-utility", utility_cmd))
