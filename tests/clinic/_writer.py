"""A writer process for the kill and live-backup tests (run as a script, not imported).

It imports smpstudio once, then for every ``go`` line on stdin forks a writer child that
commits records as fast as it can and prints ``ack patient <id>`` / ``ack session <id>``
right after each commit returns; the helper prints ``pid <child>`` and, once the child is
gone (the test SIGKILLs it), ``gone <status>``. Forking keeps 20 kills cheap.
"""

from __future__ import annotations

import os
import sys
from datetime import date


def _write_forever(
    url: str, data_dir: str, clinic_id: int, patient_id: int, practitioner_id: int, tag: str
) -> None:
    from smpstudio.clinic import PigmentUse, open_database

    db = open_database(url, data_dir=data_dir, create=False)
    records = db.clinic(clinic_id, actor=f"writer-{tag}")
    pigment = [PigmentUse("Carbon Black", f"KILL-{tag}", date(2032, 1, 1), water_ml=10.0)]
    for i in range(10**9):
        p = records.add_patient("Kill", f"{tag}-{i}", date_of_birth=date(1980, 1, 1))
        os.write(1, f"ack patient {p.id}\n".encode())
        s = records.record_session(
            patient_id,
            practitioner_id=practitioner_id,
            performed_on=records.today(),
            duration_minutes=120,
            pigments=pigment,
            needle_lots=[f"LOT-{tag}-{i}"],
            needles_opened_in_front_of_client=True,
            anaesthetic_offered=False,
            anaesthetic_used=False,
        )
        os.write(1, f"ack session {s.id}\n".encode())


def main() -> None:
    url, data_dir, clinic_id, patient_id, practitioner_id = sys.argv[1:6]
    import smpstudio.clinic  # noqa: F401  (import once, before forking)

    for line in sys.stdin:
        tag = line.split()[1]
        sys.stdout.flush()
        child = os.fork()
        if child == 0:
            try:
                _write_forever(
                    url, data_dir, int(clinic_id), int(patient_id), int(practitioner_id), tag
                )
            finally:
                os._exit(3)
        os.write(1, f"pid {child}\n".encode())
        _, status = os.waitpid(child, 0)
        os.write(1, f"gone {status}\n".encode())


if __name__ == "__main__":
    main()
