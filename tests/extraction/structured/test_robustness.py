"""Bad input never crashes a structured reader: a damaged file reads, or is refused with UnreadableDocument."""

from __future__ import annotations

import random

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.structured import read_structured
from o2c.intake.sniff import sniff_media_type
from tests.extraction.structured.generators import (
    edifact,
    orders_body,
    remadv_body,
    remittance_csv,
    remittance_rows,
    remittance_xlsx,
    ubl_order,
    x12,
    x12_820_body,
    x12_850_body,
)

SAMPLES = {
    "x12.edi": lambda: x12([x12_820_body(), x12_850_body()]),
    "edifact.edi": lambda: edifact([orders_body(), remadv_body()]),
    "ubl.xml": ubl_order,
    "remit.csv": lambda: remittance_csv(remittance_rows()),
    "remit.xlsx": lambda: remittance_xlsx(remittance_rows()),
}


def _damage(content: bytes, rng: random.Random) -> bytes:
    data = bytearray(content)
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(len(data)) if data else 0
        kind = rng.choice(("cut", "byte", "delete", "repeat"))
        if kind == "cut":
            data = data[:at]
        elif kind == "byte" and data:
            data[at] = rng.choice(b"*~'+:?\n0A-.,<>&\x00\xff")
        elif kind == "delete":
            del data[at : at + rng.randrange(1, 20)]
        else:
            data[at:at] = data[at : at + rng.randrange(1, 30)]
    return bytes(data)


@pytest.mark.parametrize("name", SAMPLES)
def test_damaged_files_read_or_are_refused_never_crash(name):
    rng = random.Random(name)
    good = SAMPLES[name]()
    for _ in range(150):
        content = _damage(good, rng)
        if not content:
            continue
        try:
            results = read_structured(content, filename=name, media_type=sniff_media_type(content, name))
        except UnreadableDocument as exc:
            assert exc.reason and exc.message
            continue
        for extraction in results or []:
            extraction.to_contract()
