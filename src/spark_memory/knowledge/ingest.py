"""Put harvested snippets into a store: incremental, idempotent, in batches.

For each library version present in the input, the store's content hashes say
what is already there: unchanged snippets are skipped (not re-embedded), new and
changed ones are embedded and upserted ``batch`` at a time, and snippets of that
library version that are no longer produced are deleted. Running the same ingest
twice embeds nothing the second time. Library versions absent from the input are
left alone, so harvesting pandas does not touch numpy. ``owns`` narrows what an
ingest replaces within a library version: a docstring harvest and a guide ingest of
pandas 1.5.3 share the version but neither deletes the other's snippets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from spark_memory.errors import EmbeddingMismatch, InvalidInput
from spark_memory.models import Snippet
from spark_memory.providers.embedder import Embedder
from spark_memory.store.protocol import EmbeddingSpace, Store

__all__ = ["IngestReport", "ingest"]

Progress = Callable[[int, int], None]  # (snippets written so far, snippets to write)
Owns = Callable[[Snippet], bool]  # stored snippets an ingest may replace or delete


@dataclass
class IngestReport:
    seen: int = 0
    unchanged: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    embedded: int = 0  # texts sent to the embedder
    seconds: float = 0.0
    versions: list[str] = field(default_factory=list)  # "library==version" ingested

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def ingest(
    snippets: Iterable[Snippet],
    store: Store,
    embedder: Embedder,
    progress: Progress | None = None,
    batch: int = 256,
    owns: Owns | None = None,
) -> IngestReport:
    """Make the store hold exactly ``snippets`` for every library version they cover,
    among the stored snippets ``owns`` accepts (default: all of that version)."""
    if batch < 1:
        raise InvalidInput(f"batch must be at least 1, not {batch}")
    started = time.monotonic()
    report = IngestReport()
    groups = _group(snippets, report)
    plans = {key: _plan(store, key, group, owns) for key, group in groups.items()}
    total = sum(len(todo) for todo, _ in plans.values())
    space = EmbeddingSpace(embedder.model_name, embedder.dim)
    _check_space(store, space, total)
    done = 0
    if progress:
        progress(0, total)
    for (library, version), (todo, vanished) in sorted(plans.items()):
        report.versions.append(f"{library}=={version}")
        report.unchanged += len(groups[(library, version)]) - len(todo)
        for chunk in _chunks(todo, batch):
            _write(store, embedder, space, chunk, report)
            done += len(chunk)
            if progress:
                progress(done, total)
        if vanished:
            report.deleted += store.delete_snippets(library, version, ids=vanished).deleted
    if report.written or report.deleted:
        store.refresh_statistics()
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _check_space(store: Store, space: EmbeddingSpace, total: int) -> None:
    """Fail before embedding anything when the store holds another model's vectors."""
    held = store.embedding_space()
    if total and held is not None and held != space:
        raise EmbeddingMismatch(
            f"the store holds vectors of {held.model} ({held.dim} dims), not of "
            f"{space.model} ({space.dim} dims); re-embed the store or use its model"
        )


def _group(
    snippets: Iterable[Snippet], report: IngestReport
) -> dict[tuple[str, str], list[Snippet]]:
    """Snippets by (library, version); an id given twice must carry the same content."""
    groups: dict[tuple[str, str], dict[str, Snippet]] = {}
    for snippet in snippets:
        report.seen += 1
        group = groups.setdefault((snippet.library, snippet.version), {})
        known = group.get(snippet.id)
        if known is not None and known.content_hash != snippet.content_hash:
            raise InvalidInput(
                f"snippet {snippet.id} ({snippet.symbol}) given twice with different content"
            )
        group[snippet.id] = snippet
    return {key: list(group.values()) for key, group in groups.items()}


def _plan(
    store: Store, key: tuple[str, str], group: list[Snippet], owns: Owns | None
) -> tuple[list[Snippet], list[str]]:
    """What to (re)write and what to delete for one library version."""
    stored = store.snippet_hashes(*key)
    todo = [s for s in group if stored.get(s.id) != s.content_hash]
    present = {s.id for s in group}
    vanished = sorted(i for i in stored if i not in present)
    if owns is not None and vanished:
        found = store.get_snippets(vanished)
        vanished = [i for i in vanished if i in found and owns(found[i])]
    return todo, vanished


def _write(
    store: Store,
    embedder: Embedder,
    space: EmbeddingSpace,
    chunk: Sequence[Snippet],
    report: IngestReport,
) -> None:
    vectors = embedder.embed([s.embed_text for s in chunk])
    report.embedded += len(chunk)
    result = store.upsert_snippets(chunk, vectors, space)
    report.inserted += result.inserted
    report.updated += result.updated
    report.unchanged += result.unchanged


def _chunks(items: Sequence[Snippet], size: int) -> Iterable[Sequence[Snippet]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
