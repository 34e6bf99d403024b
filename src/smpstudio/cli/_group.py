"""The ``smpstudio`` command group; command modules attach themselves to it."""

from __future__ import annotations

import click

from smpstudio import __version__

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smpstudio")
def cli() -> None:
    """Plan and simulate scalp micropigmentation (SMP)."""
