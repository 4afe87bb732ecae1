"""Knowledge-base use cases: harvest libraries or doc trees, ingest, list, remove."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_memory.errors import InvalidInput, NotFound
from spark_memory.knowledge.doctree import DocTreeReport, harvest_tree
from spark_memory.knowledge.harvest import HarvestReport, harvest
from spark_memory.knowledge.ingest import IngestReport, ingest
from spark_memory.models import Snippet
from spark_memory.service.base import Progress, ServiceBase
from spark_memory.store.protocol import WriteResult

# What the default install brings and the first run harvests; PyTorch and TensorFlow
# come from an environment that has them (`spark kb ingest torch --python ...`).
DEFAULT_LIBRARIES = ("numpy", "pandas", "scipy", "sklearn", "matplotlib")

HarvestProgress = Callable[[str, str], None]


@dataclass
class KbIngestResult:
    ingest: IngestReport
    harvest: HarvestReport | None = None
    doctree: DocTreeReport | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ingest": vars(self.ingest) | {"written": self.ingest.written}}
        if self.harvest is not None:
            out["harvest"] = {
                "seconds": self.harvest.seconds,
                "snippets": self.harvest.total_snippets,
                "libraries": [_library_report(r) for r in self.harvest.libraries],
            }
        if self.doctree is not None:
            out["doctree"] = vars(self.doctree)
        return out


def _library_report(report: Any) -> dict[str, Any]:
    return {
        "library": report.library,
        "version": report.version,
        "snippets": dict(report.snippets),
        "problems": dict(report.problems),
        "crashed": report.crashed,
        "seconds": report.seconds,
    }


class Knowledge(ServiceBase):
    def kb_ingest_libraries(
        self,
        libraries: Sequence[str] = DEFAULT_LIBRARIES,
        *,
        python: str | os.PathLike[str] | None = None,
        on_library: HarvestProgress | None = None,
        progress: Progress | None = None,
    ) -> KbIngestResult:
        """Harvest installed libraries (of ``python``'s environment) and ingest them."""
        if not libraries:
            raise InvalidInput("name at least one library to ingest")
        if python is not None and not Path(python).exists():
            raise InvalidInput(f"no interpreter at {python}")
        found = harvest(libraries, python=python, progress=on_library)
        missing = [r.library for r in found.report.libraries if not r.version and not r.symbols]
        report = ingest(found.snippets, self.store, self.embedder, progress)
        problems = [f"{lib}: not importable by {python or 'this interpreter'}" for lib in missing]
        return KbIngestResult(report, harvest=found.report, problems=problems)

    def kb_ingest_docs(
        self,
        root: Path,
        *,
        library: str,
        version: str,
        base_url: str = "",
        progress: Progress | None = None,
    ) -> KbIngestResult:
        """Ingest a documentation tree (Markdown, reST, Sphinx HTML, llms.txt)."""
        if not root.exists():
            raise InvalidInput(f"no such folder or file: {root}")
        snippets, tree = harvest_tree(root, library=library, version=version, base_url=base_url)
        if not snippets:
            raise InvalidInput(f"no documents of a known format under {root}")
        report = ingest(snippets, self.store, self.embedder, progress)
        return KbIngestResult(report, doctree=tree)

    def kb_remove(self, library: str, version: str | None = None) -> WriteResult:
        known = {(s.library, s.version) for s in self.store.library_stats()}
        if not any(lib == library and version in (None, ver) for lib, ver in known):
            wanted = library if version is None else f"{library} {version}"
            raise NotFound(f"the knowledge base holds no {wanted}")
        return self.store.delete_snippets(library, version)

    def kb_show(self, snippet_id: str) -> Snippet:
        return self.store.get_snippet(snippet_id)

    def kb_is_empty(self) -> bool:
        return not self.store.library_stats()
