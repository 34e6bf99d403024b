"""Informational commands: ``patterns``, ``settings``, ``heads``."""

from __future__ import annotations

import click
import numpy as np
from rich.table import Table

from smpstudio._settings import (
    Settings,
    format_default,
    setting_range,
    setting_specs,
    settings_markdown,
)
from smpstudio.cli._common import stdout_console
from smpstudio.cli._group import cli
from smpstudio.head import HEAD_PRESETS, MEASURE_RANGES_MM, VirtualHead
from smpstudio.loss import PATTERN_NAMES, loss_pattern

__all__: list[str] = []


@cli.command("patterns")
def patterns_command() -> None:
    """List the hair-loss patterns with their areas on the M head."""
    head = VirtualHead.preset("M")
    s = Settings()
    points = head.shape.project(head.mesh.centroids)
    area = head.mesh.triangle_areas / 100.0
    natural = head.natural_scalp_mask(points)
    table = Table("pattern", "bald cm²", "thinning cm²", "hair cm²")
    for name in PATTERN_NAMES:
        cov = loss_pattern(name).coverage(points, edge_mm=s.pattern_edge_mm)
        bald = natural & (cov < s.coverage_bald_below)
        hair = natural & (cov >= s.coverage_hair_from)
        thin = natural & ~bald & ~hair
        table.add_row(name, *(f"{float(np.sum(area[m])):.1f}" for m in (bald, thin, hair)))
    stdout_console().print(table)


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table of docs/settings.md.")
def settings_command(markdown: bool) -> None:
    """List every setting with its default, unit and range."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    table = Table("setting", "default", "unit", "range", "meaning")
    for spec in setting_specs():
        table.add_row(spec.name, format_default(spec), spec.unit, setting_range(spec), spec.help)
    stdout_console().print(table)


@cli.command("heads")
def heads_command() -> None:
    """List the head presets."""
    table = Table("measure", *HEAD_PRESETS)
    for name in MEASURE_RANGES_MM:
        table.add_row(name, *(f"{getattr(m, name):g}" for m in HEAD_PRESETS.values()))
    stdout_console().print(table)
