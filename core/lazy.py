"""A third-party module imported at its first use rather than with the module that names it.

numpy costs ~80 CPU-ms of every process that imports extraction, yet only a scanned page needs it (the skew
measure and the straightening pass): a CLI call or a batch of digital documents should not pay for it. The
module is bound as usual for the type checker and as a `LazyModule` at run time:

    if TYPE_CHECKING:
        import numpy as np
    else:
        np = LazyModule("numpy")

The first attribute read imports the module; every attribute read is then kept on the stand-in, so later reads
are plain attribute lookups.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Any


class LazyModule:
    def __init__(self, name: str) -> None:
        self.__dict__["_lazy_name"] = name
        self.__dict__["_lazy_lock"] = threading.Lock()

    def _module(self) -> ModuleType:
        with self._lazy_lock:
            return importlib.import_module(self._lazy_name)

    def __getattr__(self, attr: str) -> Any:  # only for attributes not read before
        value = getattr(self._module(), attr)
        self.__dict__[attr] = value
        return value

    @property
    def loaded(self) -> bool:
        """True once the module has been imported (by this stand-in or by anything else)."""
        return self._lazy_name in sys.modules

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"
