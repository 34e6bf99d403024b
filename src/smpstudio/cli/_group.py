"""The ``smpstudio`` command group.

Command modules attach their commands to :data:`cli` when they are imported, and they are
imported only when their command runs (or shows its own help): ``smpstudio --help`` lists
the commands from :data:`COMMANDS` without loading the design core, the clinic database or
the web studio, so the command line starts in a fraction of a second.
"""

from __future__ import annotations

import importlib

import click

from smpstudio._version import __version__

__all__ = ["COMMANDS", "LazyGroup", "cli"]

COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": (
        "smpstudio.cli._photo",
        "Analyse a client photo and print JSON: image size, face landmarks (pixels), mm per "
        "pixel, the hairline proposal, the area of each region and the skin tone.",
    ),
    "db": (
        "smpstudio.cli._db",
        "Manage the clinic database (SQLite by default, PostgreSQL with --db URL).",
    ),
    "demo": (
        "smpstudio.cli._simulate",
        "Run the main job on the embedded defaults: virtual head M, Norwood 5, soft hairline, "
        "light-medium skin, dark-brown hair; renders, dots, stencils and the plan with its PDF "
        "and calendar.",
    ),
    "design": (
        "smpstudio.cli._design",
        "Design a treatment: head, hair-loss pattern, hairline and target density.",
    ),
    "dots": (
        "smpstudio.cli._dots",
        "Place every impression of a design: position, session, zone, size, needle, dilution.",
    ),
    "heads": ("smpstudio.cli._info", "List the head presets."),
    "messages": (
        "smpstudio.cli._messages",
        "Send the clinic's messages to clients: reminders, aftercare, touch-up recalls.",
    ),
    "patterns": (
        "smpstudio.cli._info",
        "List the hair-loss patterns with their areas on the M head.",
    ),
    "plan": (
        "smpstudio.cli._plan",
        "Plan the treatment of a design: sessions, dates, time, cost, aftercare, touch-up.",
    ),
    "serve": (
        "smpstudio.cli._serve",
        "Run the web studio (staff) and the clinic's site on HOST:PORT.",
    ),
    "settings": ("smpstudio.cli._info", "List every setting with its default, unit and range."),
    "simulate": (
        "smpstudio.cli._simulate",
        "Design, place every impression and render the result before and after.",
    ),
    "skin": (
        "smpstudio.cli._skin",
        "Measure a skin tone: CIELAB, ITA° and class, Monk tone, Fitzpatrick estimate.",
    ),
}
"""Each command: the module that defines it, and the first sentence of its help (a test
checks that it is the command's own)."""


class LazyGroup(click.Group):
    """A click group whose commands are imported from :data:`COMMANDS` when first used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                placeholder = click.Command(name, help=COMMANDS[name][1])
                rows.append((name, placeholder.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smpstudio")
def cli() -> None:
    """Plan and simulate scalp micropigmentation (SMP)."""
