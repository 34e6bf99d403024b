"""atheris: any bytes as an uploaded photo -> a rebuilt photo or a PhotoError.

.venv/bin/python fuzz/fuzz_ingest.py -max_total_time=60 fuzz/corpus/ingest
"""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["smpstudio"]):
    from smpstudio import PhotoError
    from smpstudio.photo import ingest_photo

from _harness import run


def target(data: bytes) -> None:
    try:
        photo = ingest_photo(data, max_pixels=4_000_000, max_side=4000)
    except PhotoError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a message of several lines: {exc}") from None
        return
    assert photo.pixels.ndim == 3


if __name__ == "__main__":
    run(target)
