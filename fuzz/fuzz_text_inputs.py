"""atheris: any text as a colour, a scar specification or a setting -> a value or an InputError.

.venv/bin/python fuzz/fuzz_text_inputs.py -max_total_time=60
"""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["smpstudio"]):
    from smpstudio import InputError, Settings
    from smpstudio.colour import skin_tone
    from smpstudio.head import VirtualHead
    from smpstudio.loss import parse_scar

from _harness import run

HEAD = VirtualHead.preset("M")


def target(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    which = provider.ConsumeIntInRange(0, 2)
    text = provider.ConsumeUnicodeNoSurrogates(200)
    try:
        if which == 0:
            tone = skin_tone(text)
            assert 1 <= tone.monk <= 10
        elif which == 1:
            parse_scar(text, HEAD)
        else:
            Settings.from_overrides([text])
    except InputError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a message of several lines: {exc}") from None


if __name__ == "__main__":
    run(target)
