"""The ``smpstudio`` command line.

Every error a user can cause prints one line, ``error: <what is wrong and how to fix it>``,
and exits with status 2; nothing is written unless everything succeeded. Each command's
module (and what it needs: the design core, the clinic, the web studio) loads only when the
command runs (:mod:`smpstudio.cli._group`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from smpstudio._errors import SmpError
from smpstudio.cli._common import one_line
from smpstudio.cli._group import cli

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn every user error into one line on stderr."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="smpstudio",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        print("error: interrupted", file=sys.stderr)
        return 130
    except click.ClickException as exc:
        print(f"error: {one_line(exc.format_message())}", file=sys.stderr)
        return 2
    except SmpError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        target = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot write{target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0
