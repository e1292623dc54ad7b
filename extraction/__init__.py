"""Extraction: bytes in, ExtractedOrder / ExtractedRemittance out, each field with confidence and provenance."""
