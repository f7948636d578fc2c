"""End-to-end round trips (parser, codecs, container, base model) of generated edge cases."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dnacomp

RESIDUES = "ACGTacgtNnRYKMSWBDHVryk*-"
newline = st.sampled_from(["\n", "\r\n"])


@st.composite
def fasta_files(draw) -> bytes:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        nl = draw(newline)
        header = ">" + draw(st.text(string.ascii_letters + string.digits + " |:._-", max_size=30))
        out.append(header + nl)
        seq = draw(st.text(st.sampled_from(RESIDUES), max_size=300))
        width = draw(st.integers(1, 80))
        for i in range(0, len(seq), width):
            out.append(seq[i:i + width] + nl)
        if draw(st.booleans()):
            out.append(nl)  # blank line
    text = "".join(out)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final newline
    return text.encode()


@st.composite
def fastq_files(draw) -> bytes:
    out = []
    phred64 = draw(st.booleans())
    low, high = (64, 104) if phred64 else (33, 74)
    for i in range(draw(st.integers(1, 5))):
        nl = draw(newline)
        name = draw(st.text(string.ascii_letters + string.digits + ":/# \t._", min_size=1, max_size=25))
        seq = draw(st.text(st.sampled_from("ACGTN"), max_size=60))
        qual = "".join(chr(draw(st.integers(low, high))) for _ in seq)
        plus = "+" + (name if draw(st.booleans()) else "")
        out.append(f"@{name}{nl}{seq}{nl}{plus}{nl}{qual}{nl}")
    return "".join(out).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fasta_files())
def test_generated_fasta_round_trips(data):
    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(data, level=1)) == data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fastq_files())
def test_generated_fastq_round_trips(data):
    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(data, level=1)) == data


def test_empty_input_round_trips():
    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(b"", level=1)) == b""
