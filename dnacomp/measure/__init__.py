"""Measuring dnacomp: ``dnacomp bench`` and the peers it runs, learning curves, the reports.

``bench``   dnacomp levels and peer compressors on the same file, in the same run (``dnacomp bench``)
``peers``   the peer tools and their command lines (also run by the Snakemake workflow)
``curve``   what each base costs over the file, per base model (``python -m dnacomp.measure.curve``)
``report``  human-readable summaries: ``dnacomp info`` and the bench table

This layer sits above ``archive`` and beside ``api``: it may use the whole coding stack, and
nothing below it imports it.
"""
