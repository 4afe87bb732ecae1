"""Child process of the crash test: writes batches forever, printing each acknowledged one."""

from __future__ import annotations

import sys
from pathlib import Path

from spark_memory.models import Snippet, SnippetKind
from spark_memory.store.sqlite import SqliteStore
from tests.conftest import SPACE, unit_vectors


def main(path: str) -> None:
    store = SqliteStore(Path(path), ann_threshold=10**9)
    batch = 0
    while True:
        items = [
            Snippet.build(
                library="crash",
                version="1",
                symbol=f"crash.s{batch}_{i}",
                kind=SnippetKind.API,
                title=f"s{batch}_{i}",
                text=f"batch {batch} item {i} " + "x" * 2000,
            )
            for i in range(50)
        ]
        store.upsert_snippets(items, unit_vectors(50, seed=batch), SPACE)
        print(f"ACK {batch} {' '.join(s.id for s in items)}", flush=True)
        batch += 1


if __name__ == "__main__":
    main(sys.argv[1])
