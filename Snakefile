# dnacomp workflow: a verified bits/base comparison of dnacomp and peer compressors, and batch
# compression of a directory with dnacomp. docs/workflow.md tells how to run and extend it.
#
#   snakemake -j2                          comparison over config/config.yaml's inputs
#   snakemake -j2 --report report.html     the HTML report (table, plots, captions)
#   snakemake -j2 batch --config batch='{input_dir: data}'   batch compression only

from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/batch.smk"


rule all:
    default_target: True
    input:
        "results/bits_per_base.tsv",
        "results/plots/bits_per_base.png",
        "results/plots/speed_vs_bits_per_base.png",
        batch_targets() if config["batch"].get("enabled") else [],
