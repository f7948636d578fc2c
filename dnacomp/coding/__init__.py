"""Entropy-coding primitives shared by every model: one home, as htscodecs keeps
``c_range_coder.h``, ``c_simple_model.h`` and ``varint.h`` once, and constriction separates coders
from models.

- ``arith``    the 32-bit binary arithmetic coder (16-bit probabilities);
- ``logistic`` the fixed-point stretch/squash tables, log costs and learning-rate reciprocals;
- ``counters`` adaptive probabilities (22-bit probability + 10-bit count) and 4-bit base counts;
- ``apm``      adaptive probability maps (SSE): 33 interpolated cells per context;
- ``mixer``    the integer logistic mixer: dot product and online gradient step;
- ``hashing``  the multiplicative hashes of contexts and k-mers;
- ``bits``     popcount and bit length;
- ``varint``   LEB128 varints and zigzag (numpy, not numba).

Every numba helper here is ``@njit(cache=True, inline="always")`` and takes its constants (shift,
limit, table) as arguments, so that each model computes exactly the integers it computed when it
had its own copy. Nothing here keeps state: the models own their tables.
"""
