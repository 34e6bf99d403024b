"""Helpers shared by the commands: consoles, atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

import click
from PIL import Image
from rich.console import Console

__all__ = [
    "PathType",
    "one_line",
    "png_of",
    "stderr_console",
    "stdout_console",
    "write_atomically",
]


class PathType(click.Path):
    """:class:`click.Path` that refuses a NUL character as a usage error (the operating
    system cannot take one; click would let its ``ValueError`` through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if "\x00" in str(value):
            self.fail(f"{str(value)!r} is not a path: it holds a NUL character", param, ctx)
        return super().convert(value, param, ctx)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def stdout_console() -> Console:
    """Standard output; 120 columns when it is not a terminal, so tables are not cut."""
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)


def png_of(image: Image.Image) -> bytes:
    """PNG bytes of an image: no metadata chunks, the same bytes for the same pixels."""
    buffer = BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def one_line(text: str) -> str:
    return " ".join(text.split())


def write_atomically(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write all files or none: each goes to a temporary name first, then all are renamed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    mode = 0o666 & ~_umask()
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            fd, temp_name = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, mode)
            staged.append((Path(temp_name), out_dir / name))
        for temp, final in staged:
            os.replace(temp, final)
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [final for _, final in staged]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
