"""A fitted logistic regression's logit: standardise, weigh, add (stored as JSON)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class LinearModel:
    """Standardise, weigh, add: the logit of a logistic regression."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, rows: list[list[float]]) -> np.ndarray:
        """One logit per row of features."""
        if not rows:
            return np.zeros(0)
        x = (np.asarray(rows, dtype=np.float64) - self.mean) / self.scale
        return x @ self.weights + self.bias

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }

    @classmethod
    def from_dict(cls, data: dict, expected: tuple[str, ...], where: str) -> LinearModel:
        features = tuple(data["features"])
        if features != expected:
            raise ConfigError(f"{where}: expected features {list(expected)}, got {list(features)}")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (len(expected),) for a in arrays) or not np.all(arrays[1] > 0):
            raise ConfigError(
                f"{where}: expected {len(expected)} means, positive scales and "
                f"weights, got shapes {[a.shape for a in arrays]}"
            )
        mean, scale, weights = arrays
        return cls(features, mean, scale, weights, float(data["bias"]))
