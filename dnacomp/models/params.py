"""The base model's parameters (``ModelParams``): what the decoder must match, one set per level.

One frozen dataclass; its fields are the schema. ``to_dict`` (the archive header's
``base_model`` object), ``from_dict``, ``header_types`` (what archive.check_meta checks the JSON
against) and the type and range checks of ``validate`` are generated from the fields: a field's
type annotation says how it is written (a tuple as a JSON array, a bool as 0/1), its
``metadata["range"]`` the values it may take. The GRU's settings are nested (``GruParams``) and
written with a ``gru_`` prefix, only when the GRU is on; ``validate`` adds the rules between
fields.

Plain Python, no numba: ``dnacomp info``, ``--help`` and the archive header checks use it without
importing the kernels. The GRU's sizes come from ``gru_layout``, the one definition of its
parameter layout, which ``gru.py`` also compiles into its kernels.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field

DIRECT_MAX_ORDER = 12
MAX_ORDER = 28
MAX_MEMORY = 2 << 30  # a hostile archive header must not make us allocate more

#: the GRU's modes: 0 = off, 2 = the GRU as the mixer (modes 1 and 3 were removed: no level wrote
#: them; docs/model-history.md)
GRU_MODES = (0, 2)


def _int(default: int, low: int, high: int, doc: str):
    return field(default=default, metadata={"range": (low, high), "doc": doc})


@dataclass(frozen=True)
class GruParams:
    """The GRU (gru.py), written to the header as ``gru_<field>`` when ``mode`` is not 0. The
    bounds keep a hostile header from making each base cost more than ~100x the CM's."""

    mode: int = _int(
        0,
        0,
        2,
        "0 = off; 2 = a mixer that sees every model's and the CM's final prediction, blended with the CM's output",
    )
    hidden: int = _int(4, 1, 64, "hidden units")
    bptt: int = _int(16, 1, 256, "steps (binary decisions) per truncated-BPTT window and Adam step")
    lr: int = _int(8, 1, 100000, "Adam step size, in units of 1e-4")
    seed: int = _int(1, 0, (1 << 63) - 1, "seeds the initial weights (PCG64)")
    blend_lr: int = _int(3, 0, 255, "learning rate of the integer blend of CM and GRU")

    def on(self) -> bool:
        return self.mode != 0


@dataclass(frozen=True)
class RepeatParams:
    """The many-candidate repeat model (kernel.rep_*), written to the header as ``rep_<field>``
    when ``count`` is not 0 (format version 4). Up to ``count`` pointers into the history follow
    earlier copies of the sequence on both strands at once, each started from a table of the
    most recent positions of every ``kmer``-mer and retired when it misses too often."""

    count: int = _int(0, 0, 64, "simultaneous repeat candidates; 0 = off")
    kmer: int = _int(12, 8, 20, "bases of the k-mer that starts a candidate")
    bits: int = _int(22, 12, 28, "the k-mer table has 2^bits buckets (direct when 2 * kmer <= bits)")
    slots: int = _int(4, 1, 8, "most recent positions kept per k-mer")
    miss_limit: int = _int(8, 1, 15, "a candidate is retired after more misses among its last 16")
    starts: int = _int(1, 1, 8, "candidates started per base and strand, at most")

    def on(self) -> bool:
        return self.count != 0


@dataclass(frozen=True)
class ModelParams:
    """Everything the decoder must match. Stored in the archive; one set per level."""

    orders: tuple[int, ...] = field(metadata={"doc": "count models (4-bit counts per base)"})
    ir: tuple[bool, ...] = field(metadata={"doc": "inverted repeats per count model"})
    hash_bits: int = _int(22, 10, 28, "hashed tables have 4 << hash_bits slots")
    match_min: int = _int(16, 12, 28, "bases hashed to find a match")
    match_bits: int = _int(22, 10, 28, "entries in the match hash table")
    ring_bits: int = _int(24, 12, 30, "bases of history the match models can point into")
    mixer_lr: int = _int(12, 1, 255, "learning rate of the mixers (larger is faster)")
    am_limit: int = _int(255, 1, 1023, "adaptive maps: count at which their rate stops decreasing")
    dp_orders: tuple[int, ...] = field(
        default=(), metadata={"doc": "probability models (direct tables, 22-bit probabilities)"}
    )
    dp_ir: tuple[bool, ...] = field(default=(), metadata={"doc": "inverted repeats per probability model"})
    dp_limit: int = _int(1023, 1, 1023, "probability models: count at which their rate stops decreasing")
    # header keys of removed features (docs/model-history.md): every archive carries them, always
    # with this one value (metadata["retired"]), so they stay fields and are still written, and
    # the header stays byte-identical; ``validate`` refuses any other value
    dp_sparse: tuple[int, ...] = field(default=(), metadata={"retired": "the sparse probability models"})
    stcm_order: int = field(default=0, metadata={"retired": "the substitution-tolerant context model (STCM)"})
    stcm_miss: int = field(default=8, metadata={"retired": "the substitution-tolerant context model (STCM)"})
    final_lr: int = field(default=0, metadata={"retired": "the final mixer"})
    codon_order: int = _int(0, 0, 10, "codon model: bases of context per reading frame; 0 = off")
    codon_decay: int = _int(5, 1, 12, "codon model: frame scores forget with rate 2^-codon_decay")
    codon_extra: tuple[int, ...] = field(
        default=(), metadata={"doc": "more frame-specific probability models (their orders)"}
    )
    codon_ir: bool = field(default=False, metadata={"doc": "codon tables also learn each k-mer's reverse complement"})
    gru: GruParams = GruParams()
    rep: RepeatParams = RepeatParams()

    # ---- the header form, generated from the fields ------------------------------------------
    def to_dict(self) -> dict:
        """The header's ``base_model`` object: tuples as lists, bools as 0/1, the GRU's fields
        with a ``gru_`` prefix and only when the GRU is on."""
        out = {}
        for f, hint in _fields(ModelParams):
            if f.name not in _NESTED:
                out[f.name] = _to_json(getattr(self, f.name), hint)
        for name, prefix in _NESTED.items():
            nested = getattr(self, name)
            if nested.on():
                for f, hint in _fields(type(nested)):
                    out[prefix + f.name] = _to_json(getattr(nested, f.name), hint)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> ModelParams:
        """Inverse of ``to_dict``. Every key but the GRU's is required (KeyError); the values'
        JSON types are archive.check_meta's to check (``header_types``), their ranges
        ``validate``'s."""
        nested = {
            name: kind(**{f.name: _from_json(d.get(prefix + f.name, f.default), hint) for f, hint in _fields(kind)})
            for (name, prefix), kind in zip(_NESTED.items(), (GruParams, RepeatParams))
        }
        return cls(
            **nested, **{f.name: _from_json(d[f.name], hint) for f, hint in _fields(cls) if f.name not in _NESTED}
        )

    @staticmethod
    def header_types() -> dict[str, object]:
        """Each header key's Python type (int, bool, tuple[int, ...] or tuple[bool, ...])."""
        types = {f.name: hint for f, hint in _fields(ModelParams) if f.name not in _NESTED}
        types.update({"gru_" + f.name: hint for f, hint in _fields(GruParams)})
        types.update({"rep_" + f.name: hint for f, hint in _fields(RepeatParams)})
        return types

    # ---- checks ------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ValueError unless every field is in range (an archive's header is untrusted)."""
        parts = ((self, ""), (self.gru, "gru_"), (self.rep, "rep_"))
        for obj, prefix in parts:
            for f, hint in _fields(type(obj)):
                if f.name in _NESTED:
                    continue
                value = getattr(obj, f.name)
                _check_type(prefix + f.name, value, hint)
                if "retired" in f.metadata and value != f.default:
                    raise ValueError(
                        f"unsupported parameter {f.name} = {str(value)[:40]} ({f.metadata['retired']}: "
                        f"removed, and no dnacomp ever wrote an archive using it; only "
                        f"{f.default!r} is valid)"
                    )
        if self.gru.mode not in GRU_MODES:
            raise ValueError(
                f"unsupported parameter gru_mode = {self.gru.mode} (only 0 = off and 2 = the GRU "
                f"as the mixer; modes 1 and 3 were removed, and no dnacomp ever wrote them)"
            )
        for obj, prefix in parts:
            for f, _ in _fields(type(obj)):
                if "range" in f.metadata:
                    low, high = f.metadata["range"]
                    value = getattr(obj, f.name)
                    if not low <= value <= high:
                        raise ValueError(f"{prefix}{f.name} {value} is out of range {low}..{high}")
        if len(self.orders) != len(self.ir) or len(self.orders) > 24:
            raise ValueError("orders and ir must be of equal length, at most 24")
        if not self.orders and not self.dp_orders:
            raise ValueError("at least one context model is needed")
        if self.orders and (
            list(self.orders) != sorted(set(self.orders)) or min(self.orders) < 1 or max(self.orders) > MAX_ORDER
        ):
            raise ValueError(f"orders must be strictly increasing, within 1..{MAX_ORDER}")
        if len(self.dp_orders) != len(self.dp_ir) or len(self.dp_orders) > 12:
            raise ValueError("dp_orders and dp_ir must be of equal length, at most 12")
        if self.dp_orders and (
            list(self.dp_orders) != sorted(set(self.dp_orders))
            or min(self.dp_orders) < 1
            or max(self.dp_orders) > DIRECT_MAX_ORDER
        ):
            raise ValueError(f"dp_orders must be strictly increasing, within 1..{DIRECT_MAX_ORDER}")
        if (
            len(self.codon_extra) > 6
            or (self.codon_extra and not self.codon_order)
            or any(not 1 <= k <= 10 for k in self.codon_extra)
        ):
            raise ValueError("codon_extra: at most 6 orders within 1..10, and only with codon_order")
        if self.memory_bytes() > MAX_MEMORY:
            raise ValueError(f"model tables too large ({self.memory_bytes() >> 20} MiB > {MAX_MEMORY >> 20} MiB)")

    # ---- derived sizes -----------------------------------------------------------------------
    def memory_bytes(self) -> int:
        """Bytes of the model's tables (the mixers and maps add well under 1 MB)."""
        total = 0
        for k in self.orders:
            total += 2 * (4**k if k <= DIRECT_MAX_ORDER else 4 << self.hash_bits)
        for k in self.dp_orders:
            total += 16 * 4**k
        for k in ((self.codon_order,) if self.codon_order else ()) + self.codon_extra:
            total += 6 * 16 * 4**k
        if self.gru.mode:
            hh, ii = self.gru.hidden, self.gru_inputs()
            total += 8 * (4 * gru_n_params(hh, ii) + self.gru.bptt * gru_slot_size(hh, ii) + 17 * hh)
        if self.rep.count:
            total += 4 * self.rep.slots << self.rep.bits
        return total + 4 * (1 << self.match_bits) + (1 << self.ring_bits)

    def cm_inputs(self) -> int:
        """Inputs of the CM mixers: every model, a constant 0 (the slot of the removed STCM: the
        weights' start 65536 // inputs and the GRU's input count depend on it), the 2 match models,
        the codon model, the bias, the extra codon models and the repeat model's two (its vote, and
        the vote refined by a map)."""
        return len(self.orders) + len(self.dp_orders) + 5 + len(self.codon_extra) + (3 if self.rep.count else 0)

    def gru_inputs(self) -> int:
        """The GRU's inputs per step: every CM model's prediction (not the bias), the decision's
        node (3, one-hot), the last base (4, one-hot) and the CM mixers' and both SSE stages'
        outputs (3)."""
        return self.cm_inputs() - 1 + 7 + 3


#: the nested parameter groups and their header prefixes
_NESTED = {"gru": "gru_", "rep": "rep_"}


def _fields(cls) -> list[tuple[dataclasses.Field, object]]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls)]


_HINTS: dict = {}


def _item_type(hint):
    return typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else None


def _to_json(value, hint):
    item = _item_type(hint)
    if item is not None:
        return [int(x) for x in value]
    return int(value)


def _from_json(value, hint):
    item = _item_type(hint)
    if item is not None:
        return tuple(item(int(x)) for x in value)
    return hint(int(value))


def _check_type(name: str, value, hint) -> None:
    item = _item_type(hint)
    if item is not None:
        if not isinstance(value, tuple):
            raise ValueError(f"{name} must be a tuple")
        if item is int and any(type(x) is not int for x in value):
            raise ValueError(f"{name} must hold integers")
    elif hint is int and type(value) is not int:
        raise ValueError(f"{name} must be an integer")


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
