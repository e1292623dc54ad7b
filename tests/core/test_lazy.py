"""Modules imported at first use (core/lazy.py): extraction loads numpy only when a scan needs it."""

import subprocess
import sys

from o2c.core.lazy import LazyModule


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_extraction_imports_no_numpy_until_a_scan_needs_it():
    out = _fresh(
        "import sys\n"
        "from o2c.extraction.service import extract_document\n"
        "before = 'numpy' in sys.modules\n"
        "from o2c.extraction import ocr\n"
        "from PIL import Image\n"
        "page = Image.new('L', (400, 300), 255)\n"
        "ocr.skew_angle(page, 300)\n"
        "print(before, 'numpy' in sys.modules)"
    )
    assert out == "False True"


def test_lazy_module_reads_through_and_keeps_what_it_read():
    json = LazyModule("json")
    assert json.dumps({"a": 1}) == '{"a": 1}'
    assert "dumps" in vars(json)  # the second read is a plain attribute lookup
    assert json.loaded
    assert "lazy module 'json'" in repr(json)
