"""A cache hint for the kernels: ``prefetch(arr, i)`` asks the CPU to bring ``arr[i]``'s line into
the cache (llvm.prefetch: read, high locality, data cache). It never changes a result, so encoder
and decoder agree whether or not a CPU honours it; it lets the cache misses of several models'
tables overlap instead of following one another (the base model, the quality model).
"""

from __future__ import annotations

from llvmlite import ir as llir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to bring ``arr[idx]`` into the cache (llvm.prefetch; never changes results)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        arrty = signature.args[0]
        ary = context.make_array(arrty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, arrty, ary, [args[1]], wraparound=False)
        i8p = builder.bitcast(ptr, llir.IntType(8).as_pointer())
        i32 = llir.IntType(32)
        fnty = llir.FunctionType(llir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [i8p, llir.Constant(i32, 0), llir.Constant(i32, 3), llir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen
