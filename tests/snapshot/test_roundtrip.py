"""snapshot -> checkout -> snapshot gives the same tree, for any file set."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from repro_testing import write_files

from repro.snapshot import snapshot
from repro.snapshot.checkout import checkout
from repro.store import ObjectStore, open_backend

_segment = st.text(alphabet="abcxyz-_.0123", min_size=1, max_size=6).filter(
    lambda s: s not in (".", "..")
)
_path = st.lists(_segment, min_size=1, max_size=3).map("/".join)


def _no_prefix_clash(files: dict[str, bytes]) -> bool:
    return not any(other.startswith(name + "/") for name in files for other in files)


@settings(max_examples=25, deadline=None)
@given(
    files=st.dictionaries(_path, st.binary(max_size=3000), min_size=1, max_size=12).filter(
        _no_prefix_clash
    ),
    pack_threshold=st.sampled_from([0, 1024, 1 << 20]),
)
def test_snapshot_checkout_snapshot(files: dict[str, bytes], pack_threshold: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = ObjectStore(
            open_backend(str(root / "cache")), "xxh3-128", pack_threshold=pack_threshold
        )
        first = snapshot(str(write_files(root / "src", files)), algorithm="xxh3-128", store=store)
        checkout(store, first.tree, str(root / "out"))
        again = snapshot(str(root / "out"), algorithm="xxh3-128")
        assert again.oid == first.oid
