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
            out.append(seq[i : i + width] + nl)
        if draw(st.booleans()):
            out.append(nl)  # blank line
    text = "".join(out)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final newline
    return text.encode()


@st.composite
def read_names(draw) -> str:
    """Illumina/SRA-like names with counters (what the tokeniser expects) or free text."""
    style = draw(st.sampled_from(["illumina", "sra", "free"]))
    if style == "illumina":
        x, y = draw(st.integers(0, 30000)), draw(st.integers(0, 30000))
        return f"HWI-ST745_0098:1:{draw(st.integers(1, 2300))}:{x}:{y}#0/{draw(st.sampled_from('12'))}"
    if style == "sra":
        return f"ERR127302.{draw(st.integers(0, 10**12))} HWI-EAS350:{draw(st.integers(0, 99))}"
    return draw(st.text(string.ascii_letters + string.digits + ":/# \t._=-", min_size=1, max_size=25))


@st.composite
def fastq_files(draw) -> bytes:
    out = []
    phred64 = draw(st.booleans())
    low, high = (64, 104) if phred64 else (33, 74)
    binned = draw(st.booleans())  # NovaSeq-style: a handful of quality values
    levels = draw(st.lists(st.integers(low, high), min_size=1, max_size=4)) if binned else None
    fixed_len = draw(st.one_of(st.none(), st.integers(0, 40)))
    nl = draw(newline)
    for _ in range(draw(st.integers(1, 30))):
        if draw(st.integers(0, 9)) == 0:
            nl = draw(newline)  # mostly one line ending, sometimes mixed
        name = draw(read_names())
        n = fixed_len if fixed_len is not None else draw(st.integers(0, 60))
        alphabet = "N" if draw(st.integers(0, 9)) == 0 else "ACGTN"  # N-only reads too
        seq = "".join(draw(st.lists(st.sampled_from(alphabet), min_size=n, max_size=n)))
        if levels:
            qual = "".join(chr(draw(st.sampled_from(levels))) for _ in seq)
        else:
            qual = "".join(chr(draw(st.integers(low, high))) for _ in seq)
        plus = "+" + (name if draw(st.booleans()) else "")
        out.append(f"@{name}{nl}{seq}{nl}{plus}{nl}{qual}{nl}")
    text = "".join(out)
    if seq and draw(st.booleans()):
        text = text.removesuffix(nl)  # no final newline (impossible after an empty quality line)
    return text.encode("latin-1")


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
