"""Knowledge base: documentation snippets harvested from installed libraries and doc trees.

- ``harvest.harvest(libraries, python=...)`` runs ``introspect.py`` (stdlib only) in a
  child interpreter of any environment and turns its symbol records into snippets
  (``snippets.build_snippets``, with ``docstrings.parse_docstring``).
- ``doctree.harvest_tree`` / ``doctree.doc_snippets`` chunk Markdown, reST, Sphinx HTML
  and llms.txt by heading into guide snippets.
- ``ingest.ingest(snippets, store, embedder)`` writes them incrementally.
"""

from spark_memory.knowledge.doctree import DocTreeReport, doc_snippets, harvest_tree
from spark_memory.knowledge.harvest import (
    DS1000_LIBRARIES,
    Coverage,
    HarvestReport,
    HarvestResult,
    LibraryReport,
    harvest,
    measure_coverage,
)
from spark_memory.knowledge.ingest import IngestReport, ingest

__all__ = [
    "DS1000_LIBRARIES",
    "Coverage",
    "DocTreeReport",
    "HarvestReport",
    "HarvestResult",
    "IngestReport",
    "LibraryReport",
    "doc_snippets",
    "harvest",
    "harvest_tree",
    "ingest",
    "measure_coverage",
]
