"""The matching policy: the thresholds that turn scores and confidences into post-or-review."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchingPolicy:
    """Confidence and fuzzy-match thresholds, built once from settings at a composition root."""

    auto_post_confidence: float = 0.90
    customer_match_score: float = 90.0
    customer_match_margin: float = 8.0
    classification_confidence: float = 0.60
    max_candidates: int = 5

    @classmethod
    def from_settings(cls, settings) -> MatchingPolicy:
        """The policy from a core.settings.Settings (missing knobs keep their defaults)."""
        d = cls()
        return cls(
            auto_post_confidence=float(getattr(settings, "auto_post_confidence", d.auto_post_confidence)),
            customer_match_score=float(getattr(settings, "customer_match_score", d.customer_match_score)),
            customer_match_margin=float(getattr(settings, "customer_match_margin", d.customer_match_margin)),
            classification_confidence=float(
                getattr(settings, "classification_confidence", d.classification_confidence)
            ),
        )
