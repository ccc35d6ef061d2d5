"""The Whoosh index is read in place from its mapping (indexer.engines.whoosh_files): the
cursor reads, seeks and reads lines exactly as BytesIO over the same bytes, and a searcher
holds no copy of the segment files."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from indexer.engines.whoosh_files import MappedFile, _Cursor

OPS = st.lists(
    st.tuples(
        st.sampled_from(["read", "readline", "seek", "seek_end", "tell"]), st.integers(-3, 40)
    ),
    max_size=30,
)


@given(st.binary(max_size=200).map(lambda b: b.replace(b"x", b"\n")), OPS)
def test_the_cursor_behaves_as_bytesio(data: bytes, ops: list[tuple[str, int]]) -> None:
    cursor, reference = _Cursor(memoryview(data)), io.BytesIO(data)
    for op, n in ops:
        if op == "read":
            assert cursor.read(n) == reference.read(n)
        elif op == "readline":
            assert cursor.readline(n) == reference.readline(n)
        elif op == "seek":
            assert cursor.seek(abs(n)) == reference.seek(abs(n))
        elif op == "seek_end":
            assert cursor.seek(-min(abs(n), len(data)), 2) == reference.seek(
                -min(abs(n), len(data)), 2
            )
        assert cursor.tell() == reference.tell()


def test_a_mapped_file_reads_pickles_and_subsets_in_place(tmp_path: Path) -> None:
    payload = pickle.dumps({"segment": list(range(50))}) + b"tail\nend"
    view = memoryview(bytearray(payload))
    mapped = MappedFile(view, name="seg")
    assert mapped.read_pickle() == {"segment": list(range(50))}
    assert mapped.file.readline() == b"tail\n"
    part = mapped.subset(len(payload) - 8, 8)
    assert part.get(0, 4) == b"tail" and part.file.read() == b"tail\nend"
    view[-3:] = b"END"  # the same memory, not a copy
    assert part.get(5, 3) == b"END"


def test_the_whoosh_engine_reads_its_segments_in_place() -> None:
    from whoosh.filedb import compound

    import indexer.engines.whoosh  # noqa: F401  (installs the reader)

    assert compound.BufferFile is MappedFile
