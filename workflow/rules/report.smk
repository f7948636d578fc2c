# Aggregation: the bits/base table, its plots, and what `snakemake --report` shows.


rule aggregate:
    input:
        aggregate_inputs,
    output:
        tsv=report(
            "results/bits_per_base.tsv",
            caption="../report/table.rst",
            category="Comparison",
            labels={"what": "bits/base table"},
        ),
    params:
        runs=RUNS,
    script:
        "../scripts/aggregate.py"


rule plots:
    input:
        tsv="results/bits_per_base.tsv",
    output:
        bits=report(
            "results/plots/bits_per_base.png",
            caption="../report/bits_per_base.rst",
            category="Comparison",
            labels={"what": "bits/base per file and tool"},
        ),
        speed=report(
            "results/plots/speed_vs_bits_per_base.png",
            caption="../report/speed.rst",
            category="Comparison",
            labels={"what": "speed vs bits/base"},
        ),
    script:
        "../scripts/plots.py"
