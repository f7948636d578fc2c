"""dnacomp: lossless FASTA/FASTQ compression by k-mer context mixing and arithmetic coding."""
__version__ = "0.1.0"
