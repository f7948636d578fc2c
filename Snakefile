# The workflow's entry is workflow/Snakefile (the Snakemake workflow catalog's layout); this file
# lets `snakemake` run from the repository root. docs/workflow.md tells how to run it.
include: "workflow/Snakefile"


# an included file's default target does not carry over: name it here
rule default:
    default_target: True
    input:
        rules.all.input,
