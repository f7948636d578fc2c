"""Learning curves (dnacomp/measure/curve.py): the per-base costs are the ones the coder pays."""

import numpy as np
from paths import LAMBDA_FA

import dnacomp
from dnacomp.archive import inspect_stream
from dnacomp.measure.curve import base_costs, main, windowed

LAMBDA = LAMBDA_FA


def test_costs_add_up_to_the_coded_bases(tmp_path):
    import io

    for model in ("cm", "gru"):
        costs = base_costs(str(LAMBDA), 2, model)
        assert len(costs) == 48_502 and (costs > 0).all()
        stats = inspect_stream(io.BytesIO(dnacomp.compress_bytes(LAMBDA.read_bytes(), level=2, model=model)))
        coded = stats.stream_bytes["bases"]
        # costs come from a 12-bit log table, the coder pays the exact 16-bit probabilities
        assert abs(costs.sum() / 8 - coded) < 0.005 * coded, model


def test_windows_and_tsv(tmp_path):
    x, y = windowed(np.arange(10, dtype=float), 4)
    assert list(x) == [0, 4] and list(y) == [1.5, 5.5]
    tsv = tmp_path / "c.tsv"
    assert main([str(LAMBDA), "--runs", "1:cm,1:gru", "--window", "10000", "--tsv", str(tsv)]) == 0
    rows = tsv.read_text().splitlines()
    assert rows[0] == "position\t-1 cm\t-1 gru" and len(rows) == 1 + 4
