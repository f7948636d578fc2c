"""Shaped names (codecs/name_shapes.py, stream method 10, issue 15 item 2): UUIDs coded apart and
ISO timestamps as numbers. Exact round trips on real long-read names and on generated ones, the
cases where the transform must stand aside (marker bytes, timestamps that would not read back),
the choice against the plain tokeniser, and corrupt streams refused with ArchiveError."""

from __future__ import annotations

import bz2
import datetime
import gzip
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import CORPUS

from dnacomp.codecs import name_shapes
from dnacomp.codecs.fields import NAMES_SHAPED, _encode_names, decode_fields, method_name
from dnacomp.errors import ArchiveError

ONT = CORPUS / "extra" / "ont_cdna_pcs109_sirv_5k.fastq.gz"
PACBIO = CORPUS / "extra" / "pacbio_rs2_slice_b.fastq.gz"


def _names(path) -> list[bytes]:
    if not path.exists():
        pytest.skip(f"{path} not in the corpus")
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    return [line[1:] for line in lines[0::4] if line]


def _round_trip(names: list[bytes]) -> bytes:
    """The names' field as FASTQ codes it, checked to decode back exactly."""
    blob = b"\n".join(names)
    coded = _encode_names(blob, len(names), shapes=True)
    assert decode_fields("fastq", {"names": (len(blob), coded)}, 0, len(names))["names"] == blob
    return coded


def _shaped_round_trip(names: list[bytes]) -> bytes:
    """The shaped coding itself (whether or not it would be chosen), checked to decode back."""
    blob = b"\n".join(names)
    assert name_shapes.applies(blob)
    coded = name_shapes.encode_shaped(blob, len(names))
    assert name_shapes.decode_shaped(coded, len(names), len(blob)) == blob
    return coded


def test_nanopore_names_beat_bz2_by_far():
    names = _names(ONT)
    coded = _round_trip(names)
    blob = b"\n".join(names)
    assert method_name(coded) == "names-shaped"
    bits_per_read = 8 * len(coded) / len(names)
    assert bits_per_read < 175  # measured 166.8; the plain tokeniser 439, bz2 215.8
    assert len(coded) < 0.8 * len(bz2.compress(blob, 9))


def test_pacbio_names_keep_the_tokeniser_and_beat_bz2():
    names = _names(PACBIO)
    blob = b"\n".join(names)
    coded = _round_trip(names)
    assert method_name(coded) == "names"  # movie/zmw/start_end: no UUID, no timestamp
    assert len(coded) < 0.6 * len(bz2.compress(blob, 9))


def test_uuid_digits_cost_what_they_hold():
    """Version-4 UUIDs hold 122 random bits: their digits must cost about that (the tokeniser
    paid ~390 bits for them), so a fixed digit is learnt and no digit costs over 4 bits."""
    mult = 0x9E3779B97F4A7C15_F39CC0605CEDC835
    names = [str(uuid.UUID(int=i * mult % (1 << 128), version=4)).encode() for i in range(3000)]
    coded = _shaped_round_trip(names)
    assert 8 * len(coded) / len(names) < 126


def test_parent_read_id_repeating_the_read_id_is_almost_free():
    ids = [str(uuid.UUID(int=(i * 0x2545F4914F6CDD1D) ** 3 % (1 << 128), version=4)) for i in range(500)]
    alone = _shaped_round_trip([u.encode() for u in ids])
    twice = _shaped_round_trip([f"{u} parent_read_id={u} ch=7".encode() for u in ids])
    assert len(twice) < len(alone) + 200


def test_upper_and_lower_case_uuids_and_timestamps_keep_their_text():
    names = [
        b"83CCD09B-02BF-4623-B1E5-2233A3FB1D35 start_time=2019-04-12T21:46:43Z",
        b"2da5d221-7409-4814-9a2c-25156f4cd6c9 start_time=2019-04-12T21:46:44.123+00:00",
        b"mixed 2Da5d221-7409-4814-9a2c-25156f4cd6c9 (not a UUID here: mixed case)",
        b"",
        b"12019-04-12T21:46:43 1970-01-01T00:00:00 9999-12-31T23:59:59",
        b"2019-04-12T21:46:431 stays text (a digit follows)",
    ]
    _shaped_round_trip(names)
    _round_trip(names)


@pytest.mark.parametrize(
    "stamp",
    [
        b"2019-02-30T00:00:00",
        b"1969-12-31T23:59:59",
        b"2016-12-31T23:59:60",
        b"2019-04-12T24:00:00",
        b"0000-01-01T00:00:00",
    ],
)
def test_timestamps_that_would_not_read_back_stay_text(stamp):
    names = [b"a read start_time=2019-04-12T21:46:43Z", b"b read start_time=" + stamp + b"Z"]
    coded = _shaped_round_trip(names)
    assert coded[0] & name_shapes.F_TIME == 0


def test_marker_bytes_in_names_keep_the_transform_away():
    names = [b"83ccd09b-02bf-4623-b1e5-2233a3fb1d35\x01", b"2da5d221-7409-4814-9a2c-25156f4cd6c9"]
    assert not name_shapes.applies(b"\n".join(names))
    assert method_name(_round_trip(names)) != "names-shaped"


def _dorado_like_names(n: int) -> list[bytes]:
    """Names as Dorado writes them: a UUID and ~16 SAM tags, some of them noisy floats."""
    rng = random.Random(3)
    out = []
    for _ in range(n):
        u = uuid.UUID(int=rng.getrandbits(128), version=4)
        rn = rng.randint(1, 60000)
        when = datetime.datetime.fromtimestamp(1672574400 + 2 * rn + rng.randint(0, 3000), datetime.timezone.utc)
        tags = [
            f"qs:i:{rng.randint(7, 30)}",
            f"du:f:{rng.random() * 20:.4f}",
            f"ns:i:{rng.randint(1000, 90000)}",
            f"ch:i:{rng.randint(1, 512)}",
            f"st:Z:{when:%Y-%m-%dT%H:%M:%S}.{rng.randint(0, 999):03d}+00:00",
            f"rn:i:{rn}",
            "fn:Z:FAW12345_pass_abc_0.pod5",
            f"sm:f:{rng.random() * 100:.3f}",
            f"sd:f:{rng.random() * 20:.4f}",
            "sv:Z:quantile",
            "RG:Z:abc123_dna_r10.4.1_e8.2_400bps_sup@v4.2.0",
        ]
        out.append("\t".join([str(u), *tags]).encode())
    return out


def test_dorado_names_are_coded_in_groups_of_fields_well_under_bz2():
    """~90 tokens a name overflow the tokeniser's 64; in groups of 4 fields they do not."""
    names = _dorado_like_names(2000)
    blob = b"\n".join(names)
    coded = _round_trip(names)
    assert method_name(coded) == "names-shaped" and coded[1] == name_shapes.F_COLUMNS
    assert len(coded) < 0.8 * len(bz2.compress(blob, 9))  # measured 0.76 (5,000 names: 264 bits/read, bz2 347)


def test_names_with_unequal_field_counts_are_not_cut_into_groups():
    names = [n + (b"\textra:Z:1" if i % 7 == 0 else b"") for i, n in enumerate(_dorado_like_names(300))]
    assert name_shapes._column_groups(b"\n".join(names)) is None
    _round_trip(names)
    _shaped_round_trip(names)


def test_illumina_names_do_not_apply():
    assert not name_shapes.applies(b"ERR127302.1 HWI-ST:8:1101:1234:5678 1:N:0:ACGT\nERR127302.2")


_hex = st.text("0123456789abcdef", min_size=32, max_size=32)
_uuid = st.builds(
    lambda h, up: (lambda u: u.upper() if up else u)(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"),
    _hex,
    st.booleans(),
)
_stamp = st.builds(
    lambda y, mo, d, h, mi, s, tail: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{tail}",
    st.integers(1960, 10000),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 60),
    st.integers(0, 61),
    st.sampled_from(["", "Z", ".5", "+01:00", "7", "T"]),
)
_piece = st.one_of(_uuid, _stamp, st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12))
_name = st.lists(_piece, max_size=6).map(lambda ps: " ".join(ps).encode())


@settings(max_examples=150, deadline=None)
@given(st.lists(_name, min_size=1, max_size=25))
def test_generated_names_round_trip(names):
    blob = b"\n".join(names)
    if name_shapes.applies(blob):
        _shaped_round_trip(names)
    _round_trip(names)


def test_corrupt_shaped_streams_raise_archive_error():
    """Truncated, extended or bad-flag streams are refused; a flipped middle may decode to other
    names (the block's CRC catches those) but never raises anything but ArchiveError."""
    names = [f"{uuid.UUID(int=i * 7919 + 1, version=4)} t=2019-04-12T21:46:{i % 60:02d}Z".encode() for i in range(40)]
    blob = b"\n".join(names)
    coded = name_shapes.encode_shaped(blob, len(names))

    def decode(data):
        return decode_fields("fastq", {"names": (len(blob), bytes([NAMES_SHAPED]) + data)}, 0, len(names))["names"]

    for data in (coded[:1], coded[:-3], coded + b"\x00", bytes([0x80]) + coded[1:]):
        with pytest.raises(ArchiveError):
            decode(data)
    for k in range(3, len(coded), 7):
        try:
            decode(coded[:k] + bytes([coded[k] ^ 0x5A]) + coded[k + 1 :])
        except ArchiveError:
            pass


_field = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.lists(st.lists(_field, min_size=12, max_size=12), min_size=1, max_size=20), _uuid)
def test_generated_tab_separated_names_round_trip(k, rows, u):
    names = [("\t".join([u, *row[:k]])).encode() for row in rows]  # the same k + 1 fields in every name
    blob = b"\n".join(names)
    if name_shapes.applies(blob):
        _shaped_round_trip(names)
    _round_trip(names)
