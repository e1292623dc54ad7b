"""Extraction: bytes and pages in, ExtractedOrder / ExtractedRemittance out, each field with confidence and provenance."""
