"""The knowledge base of the pinned DS-1000 environment: size and canonical-name
coverage of the DS-1000 gold API names (slow: harvests all seven libraries)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from spark_memory.knowledge.harvest import DS1000_LIBRARIES, harvest, measure_coverage

# Measured on the pinned environment (numpy 1.26.4, pandas 1.5.3, scipy 1.12.0,
# scikit-learn 1.4.0, matplotlib 3.8.4, torch 2.13.0, tensorflow 2.16.1); the floors
# leave room for small shifts, a drop below them is a regression.
MIN_SNIPPETS = 34_000
MIN_NAME_SHARE = {
    "numpy": 0.98,
    "pandas": 0.98,
    "scipy": 0.98,
    "sklearn": 0.98,
    "tensorflow": 0.96,
    "torch": 0.90,
    "matplotlib": 0.88,
}


@pytest.mark.slow
def test_pinned_environment_knowledge_base(pinned_python: Path, api_targets: Path) -> None:
    result = harvest(DS1000_LIBRARIES, python=pinned_python)
    print(result.report.render())
    assert not any(lib.crashed for lib in result.report.libraries)
    assert len(result.snippets) >= MIN_SNIPPETS
    assert len({s.id for s in result.snippets}) == len(result.snippets)
    with gzip.open(api_targets, "rt", encoding="utf-8") as rows:
        problems = [json.loads(line)["apis_core"] for line in rows]
    coverage = measure_coverage(result.snippets, problems, result.aliases)
    for library, floor in MIN_NAME_SHARE.items():
        cov = coverage[library]
        print(
            f"{library}: names {cov.exact}/{cov.names} (+{cov.via_alias} by alias), problems {cov.problems_covered}/{cov.problems}, missing {cov.missing}"
        )
        assert cov.name_share >= floor, (library, cov.missing)
