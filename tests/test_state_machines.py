"""Statuses change only through their transition functions, whose tables are the written-down state machines."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from o2c.core.states import InvalidTransition
from o2c.extraction.models import BUSINESS_DOCUMENT_MOVES, BusinessDocumentStatus, ExtractionRecord
from o2c.intake.models import DOCUMENT_MOVES, Document, DocumentStatus

ROOT = Path(__file__).resolve().parents[1]


def test_every_state_has_a_row():
    assert set(DOCUMENT_MOVES) == set(DocumentStatus)
    assert set(BUSINESS_DOCUMENT_MOVES) == set(BusinessDocumentStatus)


def test_allowed_and_refused_moves():
    document = Document(status=DocumentStatus.RECEIVED)
    document.move_to(DocumentStatus.REJECTED, error="corrupt")
    assert document.error == "corrupt"
    document.move_to(DocumentStatus.RECEIVED)  # reprocess
    assert document.error is None
    document.move_to(DocumentStatus.EXTRACTED)
    document.move_to(DocumentStatus.PROCESSED)
    with pytest.raises(InvalidTransition, match="processed to received"):
        document.move_to(DocumentStatus.RECEIVED)
    record = ExtractionRecord(status=BusinessDocumentStatus.EXTRACTED)
    record.move_to(BusinessDocumentStatus.POSTED)
    with pytest.raises(InvalidTransition):
        record.move_to(BusinessDocumentStatus.EXCEPTION)  # a posting is never taken back by a status change


def test_no_status_is_assigned_outside_its_transition_function():
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    offenders = []
    for rel in files:
        if rel.startswith("tests/") or not (ROOT / rel).exists():
            continue
        tree = ast.parse((ROOT / rel).read_text())
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            values = [node.value] if isinstance(node, ast.Assign) else []
            if isinstance(node.value if values else None, ast.Tuple):
                values = list(node.value.elts)
            for target in targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                for elt in elts:
                    if (
                        isinstance(elt, ast.Attribute)
                        and elt.attr == "status"
                        and any("DocumentStatus" in ast.unparse(v) for v in values)
                        and not rel.endswith("models.py")
                    ):
                        offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


def test_outcomes_have_one_writer():
    """A business document's stored outcome is written only by o2c.pipeline.outcomes (conclude / amend); intake's
    mailbox rows keep their own fetch outcome."""
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    offenders = []
    for rel in files:
        if rel.startswith(("tests/", "intake/")) or rel == "pipeline/outcomes.py" or not (ROOT / rel).exists():
            continue
        for node in ast.walk(ast.parse((ROOT / rel).read_text())):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Attribute) and t.attr == "outcome" for t in targets):
                    offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders
