"""Intake: documents as received — stored first, content-addressed, deduplicated, with their status."""
