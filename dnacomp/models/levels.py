"""Compression levels 1..9: one fixed ModelParams per level (provisional table, being tuned)."""
from __future__ import annotations

from .base import ModelParams

DEFAULT_LEVEL = 5

_LEVELS: dict[int, tuple[str, ModelParams]] = {
    1: ("fastest: orders 2-8, no inverted repeats", ModelParams(orders=(2, 3, 4, 8), ir=(False,) * 4, match_min=16)),
    2: ("fast: orders 1-8", ModelParams(orders=(1, 2, 3, 4, 6, 8), ir=(False,) * 6, match_min=16)),
    3: ("orders 1-8, inverted repeats", ModelParams(orders=(1, 2, 3, 4, 6, 8), ir=(False,) * 4 + (True,) * 2, match_min=16)),
    4: ("orders 1-11", ModelParams(orders=(1, 2, 3, 4, 6, 8, 11), ir=(False,) * 4 + (True,) * 3, match_min=16)),
    5: ("default: orders 1-12", ModelParams(orders=(1, 2, 3, 4, 6, 8, 11, 12), ir=(False,) * 4 + (True,) * 4, match_min=16)),
    6: ("orders 1-16", ModelParams(orders=(1, 2, 3, 4, 6, 8, 11, 12, 16), ir=(False,) * 4 + (True,) * 5, match_min=16)),
    7: ("orders 1-20", ModelParams(orders=(1, 2, 3, 4, 6, 8, 11, 12, 16, 20), ir=(False,) * 4 + (True,) * 6, match_min=16)),
    8: ("orders 1-24", ModelParams(orders=(1, 2, 3, 4, 6, 8, 11, 12, 14, 16, 18, 20, 24), ir=(False,) * 4 + (True,) * 9, match_min=16, mixer_lr=12)),
    9: ("strongest: orders 1-24, larger tables", ModelParams(orders=(1, 2, 3, 4, 6, 8, 11, 12, 14, 16, 18, 20, 24), ir=(False,) * 4 + (True,) * 9, match_min=16, mixer_lr=12, hash_bits=24)),
}

LEVEL_DESCRIPTIONS: dict[int, str] = {lv: d for lv, (d, _) in _LEVELS.items()}


def params_for_level(level: int) -> ModelParams:
    if level not in _LEVELS:
        raise ValueError(f"level must be 1..9, not {level}")
    return _LEVELS[level][1]
