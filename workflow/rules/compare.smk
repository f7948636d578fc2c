# Per (file, tool, level): compress, decompress, verify. Every tool reads the same plain copy of
# the input; each step's wall time and peak RSS come from Snakemake's benchmark directive. The
# command lines are those of dnacomp/measure/peers.py (the ones `dnacomp bench` runs too).


rule plain:
    """The original, uncompressed input: what every tool compresses and every restore must equal."""
    input:
        lambda w: INPUTS[w.file],
    output:
        "results/plain/{file}",
    log:
        "results/logs/{file}/plain.log",
    conda:
        "../envs/gzip.yaml"
    shell:
        "gzip -cdf {input:q} > {output:q} 2> {log:q}"


rule stats:
    """Input bytes, format, sequence symbols (dnacomp's parser), sha256 of the input and of its A/C/G/T."""
    input:
        "results/plain/{file}",
    output:
        "results/stats/{file}.json",
    log:
        "results/logs/{file}/stats.log",
    run:
        write_stats(wildcards.file, input[0], output[0])


checkpoint formats:
    """results/formats.json: the format of every input, from its stats. A checkpoint: which tools
    run on a file depends on its format, so the rest of the DAG is built once this has run (one
    checkpoint for all inputs, so that their stats jobs run in parallel)."""
    input:
        expand("results/stats/{file}.json", file=INPUTS),
    output:
        "results/formats.json",
    log:
        "results/logs/formats.log",
    run:
        write_formats(input, output[0])


rule prepare_copy:
    """ACGT-only tools get their copy of the input (GeCo3 an uppercased one, JARVIS3 the bare
    A/C/G/T; peers.PREPARE), made outside their timed step."""
    input:
        "results/plain/{file}",
    output:
        temp("results/prepared/{file}/{peer}-{level}.{how}"),
    log:
        "results/logs/{file}/{peer}-{level}.{how}.prepare.log",
    wildcard_constraints:
        how="|".join(peers.PREPARE),
    run:
        peers.PREPARE[wildcards.how][0](input[0], output[0])


# dnacomp itself ({own} = dnacomp, or dnacomp-gru for --model gru): `python -m dnacomp` of the
# interpreter running Snakemake, or of workflow/envs/dnacomp.yaml under --use-conda.
rule compress_dnacomp:
    input:
        "results/plain/{file}",
    output:
        "results/archives/{file}/{own}-{level}.dnac",
    log:
        "results/logs/{file}/{own}-{level}.compress.log",
    benchmark:
        repeat("results/benchmarks/{file}/{own}-{level}.compress.tsv", REPEAT)
    conda:
        "../envs/dnacomp.yaml"
    threads: lambda w: config["tools"].get(w.own, {}).get("threads", 1)
    params:
        cmd=lambda w, input, output, threads: step_shell(
            w.own, "compress", input[0], output[0], w.level, step_log(w, w.own, "compress"), threads
        ),
    shell:
        "{params.cmd}"


rule decompress_dnacomp:
    input:
        "results/archives/{file}/{own}-{level}.dnac",
    output:
        temp("results/restored/{file}/{own}-{level}.out"),
    log:
        "results/logs/{file}/{own}-{level}.decompress.log",
    benchmark:
        repeat("results/benchmarks/{file}/{own}-{level}.decompress.tsv", REPEAT)
    conda:
        "../envs/dnacomp.yaml"
    params:
        cmd=lambda w, input, output: step_shell(
            w.own, "decompress", input[0], output[0], w.level, step_log(w, w.own, "decompress")
        ),
    shell:
        "{params.cmd}"


# One compress and one decompress rule per peer (compress_gzip, decompress_gzip, ...): each has its
# archive extension (GeDe3 wants .co) and its conda environment, and can be forced on its own.
for _peer in PEER_NAMES:
    _ext = peers.TOOLS[_peer].ext

    rule:
        name:
            f"compress_{_peer}"
        input:
            compress_input,
        output:
            f"results/archives/{{file}}/{{peer}}-{{level}}.{_ext}",
        log:
            "results/logs/{file}/{peer}-{level}.compress.log",
        benchmark:
            repeat("results/benchmarks/{file}/{peer}-{level}.compress.tsv", REPEAT)
        wildcard_constraints:
            peer=_peer,
        conda:
            f"../envs/{_peer}.yaml"
        params:
            cmd=lambda w, input, output: step_shell(
                w.peer, "compress", input[0], output[0], w.level, step_log(w, w.peer, "compress")
            ),
        shell:
            "{params.cmd}"

    rule:
        name:
            f"decompress_{_peer}"
        input:
            f"results/archives/{{file}}/{{peer}}-{{level}}.{_ext}",
        output:
            temp("results/restored/{file}/{peer}-{level}.out"),
        log:
            "results/logs/{file}/{peer}-{level}.decompress.log",
        benchmark:
            repeat("results/benchmarks/{file}/{peer}-{level}.decompress.tsv", REPEAT)
        wildcard_constraints:
            peer=_peer,
        conda:
            f"../envs/{_peer}.yaml"
        params:
            cmd=lambda w, input, output: step_shell(
                w.peer, "decompress", input[0], output[0], w.level, step_log(w, w.peer, "decompress")
            ),
        shell:
            "{params.cmd}"


rule verify:
    """sha256 of the restored file against the original input (for an ACGT-only tool, against the
    input's A/C/G/T bases, and the run is reported as ACGT-only whatever the outcome)."""
    input:
        restored="results/restored/{file}/{tool}-{level}.out",
        stats="results/stats/{file}.json",
    output:
        "results/verify/{file}/{tool}-{level}.json",
    log:
        "results/logs/{file}/{tool}-{level}.verify.log",
    run:
        write_verification(wildcards, input.restored, input.stats, output[0])
