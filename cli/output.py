"""Shared CLI output helpers: JSON Lines on stdout, messages and progress on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True)


def emit(obj: dict[str, Any]) -> None:
    """Print one JSON line to stdout (Decimals as strings) and flush, so pipes see it at once."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=_default) + "\n")
    sys.stdout.flush()


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders walked recursively (hidden files skipped), in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            files.append(path)
    return files


def progress(items: list[Path], label: str) -> Iterator[Path]:
    """Iterate with a rich progress bar on stderr (hidden when stderr is not a terminal and only 1 item)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=err,
        transient=False,
        disable=len(items) < 2,
    ) as bar:
        task = bar.add_task(label, total=len(items), current="")
        for item in items:
            bar.update(task, current=item.name)
            yield item
            bar.advance(task)
