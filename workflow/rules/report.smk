# Aggregation: the bits/base table, its plots, and the results page (results/index.html), which
# `snakemake --report` links from its first page too.


rule aggregate:
    """results/bits_per_base.tsv: one row per (file, tool, level), every number read from results/."""
    input:
        aggregate_inputs,
    output:
        tsv=report(
            "results/bits_per_base.tsv",
            caption="../report/table.rst",
            category="Results",
            labels={"what": "bits/base table (TSV)"},
        ),
    log:
        "results/logs/aggregate.log",
    conda:
        "../envs/dnacomp.yaml"
    params:
        runs=lambda w: runs(),
        dnacomp=lambda w: EXES.get("dnacomp") or peers.bare(peers.TOOLS["dnacomp"]),
    script:
        "../scripts/aggregate.py"


rule plots:
    """bits/base per file and tool; compression speed against bits/base (inputs of >= 1 MB)."""
    input:
        tsv="results/bits_per_base.tsv",
    output:
        bits=report(
            "results/plots/bits_per_base.png",
            caption="../report/bits_per_base.rst",
            category="Results",
            labels={"what": "bits/base per file and tool"},
        ),
        speed=report(
            "results/plots/speed_vs_bits_per_base.png",
            caption="../report/speed.rst",
            category="Results",
            labels={"what": "speed vs bits/base"},
        ),
    log:
        "results/logs/plots.log",
    conda:
        "../envs/dnacomp.yaml"
    params:
        speed_min_bytes=config["speed_min_bytes"],
    script:
        "../scripts/plots.py"


rule index:
    """results/index.html: the results page, self-contained (tables inline, plots embedded)."""
    input:
        tsv="results/bits_per_base.tsv",
        bits="results/plots/bits_per_base.png",
        speed="results/plots/speed_vs_bits_per_base.png",
    output:
        report(
            "results/index.html",
            caption="../report/index.rst",
            category="Results",
            labels={"what": "results page (open this first)"},
        ),
    log:
        "results/logs/index.log",
    conda:
        "../envs/dnacomp.yaml"
    params:
        speed_min_bytes=config["speed_min_bytes"],
    script:
        "../scripts/index_page.py"
