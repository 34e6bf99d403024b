"""atheris: any bytes as design.json -> a design or an InputError.

.venv/bin/python fuzz/fuzz_design_json.py -max_total_time=60 fuzz/corpus/design_json
"""

from __future__ import annotations

import os
import tempfile

import atheris

with atheris.instrument_imports(include=["smpstudio"]):
    from smpstudio import InputError, load_design

from _harness import run

_FILE = os.path.join(tempfile.mkdtemp(prefix="smp-atheris-"), "design.json")


def target(data: bytes) -> None:
    with open(_FILE, "wb") as handle:
        handle.write(data)
    try:
        load_design(_FILE)
    except InputError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a message of several lines: {exc}") from None


if __name__ == "__main__":
    run(target)
