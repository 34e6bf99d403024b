"""Shared by the atheris harnesses: run one input, let only the documented errors through.

Each harness maps the fuzzer's bytes to one input family and calls the code that reads it;
an exception other than :class:`smpstudio.InputError` (or a hang, or a crash of a native
decoder) is a finding that libFuzzer reports with the input that caused it.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import atheris


def run(target: Callable[[bytes], None]) -> None:
    """Fuzz ``target`` with the command line's libFuzzer options (e.g. -max_total_time=60)."""
    warnings.simplefilter("error")  # as in the test suite: a warning is a finding too
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
