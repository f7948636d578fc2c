"""The base model's parameters (``ModelParams``): what the decoder must match, one set per level.

Plain Python, no numba: ``dnacomp info``, ``--help`` and the archive header checks use it without
importing the kernels (``base.py``, which re-exports everything here). The GRU's sizes come from
``gru_layout``, the one definition of its parameter layout, which ``gru.py`` also compiles into
its kernels.
"""
from __future__ import annotations

from dataclasses import dataclass

DIRECT_MAX_ORDER = 12
MAX_ORDER = 28
MAX_MEMORY = 2 << 30  # a hostile archive header must not make us allocate more


#: the range of each integer parameter (ModelParams.validate)
_RANGES = {
    "hash_bits": (10, 28), "match_bits": (10, 28), "ring_bits": (12, 30), "match_min": (12, 28),
    "mixer_lr": (1, 255), "am_limit": (1, 1023), "dp_limit": (1, 1023),
    "codon_order": (0, 10), "codon_decay": (1, 12),
    # the GRU's are bounded so that a hostile header cannot make each base cost more than ~100x
    # the CM's
    "gru_hidden": (1, 64), "gru_bptt": (1, 256), "gru_lr": (1, 100000),
    "gru_seed": (0, (1 << 63) - 1), "gru_blend_lr": (0, 255),
}
#: the GRU's modes: 0 = off, 2 = the GRU as the mixer (models 1 and 3 were removed: no level
#: wrote them; docs/model-history.md)
GRU_MODES = (0, 2)
#: header keys of features that were removed (docs/model-history.md): every archive carries them,
#: always with these values, and the header must stay byte-identical, so they are still fields
#: and still written; any other value is refused, since no dnacomp ever wrote one
RETIRED = {
    "dp_sparse": ((), "the sparse probability models"),
    "stcm_order": (0, "the substitution-tolerant context model (STCM)"),
    "stcm_miss": (8, "the substitution-tolerant context model (STCM)"),
    "final_lr": (0, "the final mixer"),
}


@dataclass(frozen=True)
class ModelParams:
    """Everything the decoder must match. Stored in the archive; one set per level."""

    orders: tuple[int, ...]  # count models (4-bit counts per base)
    ir: tuple[bool, ...]
    hash_bits: int = 22  # hashed tables have 4 << hash_bits slots
    match_min: int = 16  # bases hashed to find a match
    match_bits: int = 22  # entries in the match hash table
    ring_bits: int = 24  # bases of history the match models can point into
    mixer_lr: int = 12  # learning rate of the mixers (larger is faster)
    am_limit: int = 255  # adaptive maps: count at which their rate stops decreasing
    dp_orders: tuple[int, ...] = ()  # probability models (direct tables, 22-bit probabilities)
    dp_ir: tuple[bool, ...] = ()
    dp_limit: int = 1023  # probability models: count at which their rate stops decreasing
    dp_sparse: tuple[int, ...] = ()  # retired (RETIRED): always ()
    stcm_order: int = 0  # retired: always 0
    stcm_miss: int = 8  # retired: always 8
    final_lr: int = 0  # retired: always 0
    codon_order: int = 0  # codon model: bases of context per reading frame; 0 = off
    codon_decay: int = 5  # codon model: frame scores forget with rate 2^-codon_decay
    codon_extra: tuple[int, ...] = ()  # more frame-specific probability models (their orders)
    codon_ir: bool = False  # codon tables also learn each k-mer's reverse complement
    # the GRU (gru.py): 0 = off; 2 = a mixer that sees every model's and the CM's final
    # prediction and is blended with the CM's output
    gru_mode: int = 0
    gru_hidden: int = 4  # hidden units
    gru_bptt: int = 16  # steps (binary decisions) per truncated-BPTT window and Adam step
    gru_lr: int = 8  # Adam step size, in units of 1e-4
    gru_seed: int = 1  # seeds the initial weights (PCG64)
    gru_blend_lr: int = 3  # learning rate of the integer blend of CM and GRU

    def to_dict(self) -> dict:
        return {
            "orders": list(self.orders),
            "ir": [int(x) for x in self.ir],
            "hash_bits": self.hash_bits,
            "match_min": self.match_min,
            "match_bits": self.match_bits,
            "ring_bits": self.ring_bits,
            "mixer_lr": self.mixer_lr,
            "am_limit": self.am_limit,
            "dp_orders": list(self.dp_orders),
            "dp_ir": [int(x) for x in self.dp_ir],
            "dp_limit": self.dp_limit,
            "dp_sparse": list(self.dp_sparse),
            "stcm_order": self.stcm_order,
            "stcm_miss": self.stcm_miss,
            "final_lr": self.final_lr,
            "codon_order": self.codon_order,
            "codon_decay": self.codon_decay,
            "codon_extra": list(self.codon_extra),
            "codon_ir": int(self.codon_ir),
        } | ({} if not self.gru_mode else {
            "gru_mode": self.gru_mode,
            "gru_hidden": self.gru_hidden,
            "gru_bptt": self.gru_bptt,
            "gru_lr": self.gru_lr,
            "gru_seed": self.gru_seed,
            "gru_blend_lr": self.gru_blend_lr,
        })

    @classmethod
    def from_dict(cls, d: dict) -> "ModelParams":
        return cls(
            orders=tuple(int(x) for x in d["orders"]),
            ir=tuple(bool(x) for x in d["ir"]),
            hash_bits=int(d["hash_bits"]),
            match_min=int(d["match_min"]),
            match_bits=int(d["match_bits"]),
            ring_bits=int(d["ring_bits"]),
            mixer_lr=int(d["mixer_lr"]),
            am_limit=int(d["am_limit"]),
            dp_orders=tuple(int(x) for x in d["dp_orders"]),
            dp_ir=tuple(bool(x) for x in d["dp_ir"]),
            dp_limit=int(d["dp_limit"]),
            dp_sparse=tuple(int(x) for x in d["dp_sparse"]),
            stcm_order=int(d["stcm_order"]),
            stcm_miss=int(d["stcm_miss"]),
            final_lr=int(d["final_lr"]),
            codon_order=int(d["codon_order"]),
            codon_decay=int(d["codon_decay"]),
            codon_extra=tuple(int(x) for x in d["codon_extra"]),
            codon_ir=bool(d["codon_ir"]),
            gru_mode=int(d.get("gru_mode", 0)),
            gru_hidden=int(d.get("gru_hidden", 4)),
            gru_bptt=int(d.get("gru_bptt", 16)),
            gru_lr=int(d.get("gru_lr", 8)),
            gru_seed=int(d.get("gru_seed", 1)),
            gru_blend_lr=int(d.get("gru_blend_lr", 3)),
        )

    def validate(self) -> None:
        """Raise ValueError unless every field is in range (an archive's header is untrusted)."""
        for name in ("orders", "ir", "dp_orders", "dp_ir", "dp_sparse", "codon_extra"):
            if not isinstance(getattr(self, name), tuple):
                raise ValueError(f"{name} must be a tuple")
        ints = ("hash_bits", "match_min", "match_bits", "ring_bits", "mixer_lr", "am_limit",
                "dp_limit", "stcm_order", "stcm_miss", "final_lr", "codon_order", "codon_decay",
                "gru_mode", "gru_hidden", "gru_bptt", "gru_lr", "gru_seed", "gru_blend_lr")
        for name in ints:
            if type(getattr(self, name)) is not int:
                raise ValueError(f"{name} must be an integer")
        if len(self.orders) != len(self.ir) or len(self.orders) > 24:
            raise ValueError("orders and ir must be of equal length, at most 24")
        if not self.orders and not self.dp_orders:
            raise ValueError("at least one context model is needed")
        if any(type(k) is not int for k in self.orders + self.dp_orders):
            raise ValueError("orders must be integers")
        if self.orders and (list(self.orders) != sorted(set(self.orders))
                            or min(self.orders) < 1 or max(self.orders) > MAX_ORDER):
            raise ValueError(f"orders must be strictly increasing, within 1..{MAX_ORDER}")
        if len(self.dp_orders) != len(self.dp_ir) or len(self.dp_orders) > 12:
            raise ValueError("dp_orders and dp_ir must be of equal length, at most 12")
        if self.dp_orders and (list(self.dp_orders) != sorted(set(self.dp_orders))
                               or min(self.dp_orders) < 1 or max(self.dp_orders) > DIRECT_MAX_ORDER):
            raise ValueError(f"dp_orders must be strictly increasing, within 1..{DIRECT_MAX_ORDER}")
        for name, (value, what) in RETIRED.items():
            if getattr(self, name) != value:
                raise ValueError(f"unsupported parameter {name} = {str(getattr(self, name))[:40]} ({what}: removed, "
                                 f"and no dnacomp ever wrote an archive using it; only {value!r} is valid)")
        if self.gru_mode not in GRU_MODES:
            raise ValueError(f"unsupported parameter gru_mode = {self.gru_mode} (only 0 = off and 2 = the GRU "
                             f"as the mixer; modes 1 and 3 were removed, and no dnacomp ever wrote them)")
        for name, (low, high) in _RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} {value} is out of range {low}..{high}")
        if len(self.codon_extra) > 6 or (self.codon_extra and not self.codon_order) or any(
                type(k) is not int or not 1 <= k <= 10 for k in self.codon_extra):
            raise ValueError("codon_extra: at most 6 orders within 1..10, and only with codon_order")
        if self.memory_bytes() > MAX_MEMORY:
            raise ValueError(f"model tables too large ({self.memory_bytes() >> 20} MiB > {MAX_MEMORY >> 20} MiB)")

    def memory_bytes(self) -> int:
        """Bytes of the model's tables (the mixers and maps add well under 1 MB)."""
        total = 0
        for k in self.orders:
            total += 2 * (4**k if k <= DIRECT_MAX_ORDER else 4 << self.hash_bits)
        for k in self.dp_orders:
            total += 16 * 4**k
        for k in ((self.codon_order,) if self.codon_order else ()) + self.codon_extra:
            total += 6 * 16 * 4**k
        if self.gru_mode:
            hh, ii = self.gru_hidden, self.gru_inputs()
            total += 8 * (4 * gru_n_params(hh, ii) + self.gru_bptt * gru_slot_size(hh, ii) + 17 * hh)
        return total + 4 * (1 << self.match_bits) + (1 << self.ring_bits)

    def cm_inputs(self) -> int:
        """Inputs of the CM mixers: every model, a constant 0 (the slot of the removed STCM: the
        weights' start 65536 // inputs and the GRU's input count depend on it), the 2 match models,
        the codon model, the bias."""
        return len(self.orders) + len(self.dp_orders) + 5 + len(self.codon_extra)

    def gru_inputs(self) -> int:
        """The GRU's inputs per step: every CM model's prediction (not the bias), the decision's
        node (3, one-hot), the last base (4, one-hot) and the CM mixers' and both SSE stages'
        outputs (3)."""
        return self.cm_inputs() - 1 + 7 + 3


def gru_layout(hh, ii):
    """Where W_x, W_h, b_x, b_h, w_o, v, b_o and U start in the GRU's parameter vector, and its
    length: the one definition of the layout, for the kernels (``gru._layout``) and for Python."""
    h3 = 3 * hh
    wx = 0
    wh = wx + ii * h3
    bx = wh + hh * h3
    bh = bx + h3
    wo = bh + h3
    v = wo + hh
    bo = v + ii
    u = bo + 1
    return wx, wh, bx, bh, wo, v, bo, u, u + ii * hh


def gru_slot_size(hidden, inputs):
    """Values in one step record of the GRU's ring (see ``gru._slot``)."""
    return inputs + 7 * hidden + 2


def gru_n_params(hidden: int, inputs: int) -> int:
    return gru_layout(hidden, inputs)[8]
