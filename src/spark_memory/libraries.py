"""What Spark knows about libraries by name: how they are imported, aliased, named
in prose and distributed, and which libraries look alike without behaving alike.

These are facts about the Python ecosystem (``pd`` is pandas, the PyPI project
``scikit-learn`` is imported as ``sklearn``), not about any benchmark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Library:
    name: str  # import name, as Snippet.library spells it
    aliases: tuple[str, ...] = ()  # conventional import aliases: import pandas as pd
    words: tuple[str, ...] = ()  # how prose names it, lower case
    distributions: tuple[str, ...] = ()  # PyPI project names (environment keys)


KNOWN: tuple[Library, ...] = (
    Library("numpy", ("np",), ("numpy",), ("numpy",)),
    Library("pandas", ("pd",), ("pandas",), ("pandas",)),
    Library("scipy", ("sp",), ("scipy",), ("scipy",)),
    Library("sklearn", (), ("sklearn", "scikit-learn", "scikit"), ("scikit-learn", "sklearn")),
    Library("matplotlib", ("plt", "mpl"), ("matplotlib", "pyplot"), ("matplotlib",)),
    Library("seaborn", ("sns",), ("seaborn",), ("seaborn",)),
    Library("torch", (), ("pytorch", "torch"), ("torch",)),
    Library(
        "tensorflow",
        ("tf",),
        ("tensorflow",),
        ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly"),
    ),
    Library("keras", (), ("keras",), ("keras",)),
    Library("jax", ("jnp",), ("jax",), ("jax",)),
    Library("cupy", ("cp",), ("cupy",), ("cupy", "cupy-cuda11x", "cupy-cuda12x")),
    Library("dask", ("dd", "da"), ("dask",), ("dask",)),
    Library("polars", ("pl",), ("polars",), ("polars",)),
    Library("modin", ("mpd",), ("modin",), ("modin",)),
    Library("pyspark", (), ("pyspark", "spark dataframe"), ("pyspark",)),
    Library("plotly", ("px", "go"), ("plotly",), ("plotly",)),
    Library("statsmodels", ("sm", "smf"), ("statsmodels",), ("statsmodels",)),
)

# Families whose APIs share names and shapes but not semantics: advice for one is
# wrong for the others, so the coach names the ones the caller is *not* using.
LOOKALIKE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"pandas", "dask", "polars", "modin", "pyspark"}),
    frozenset({"numpy", "cupy", "jax"}),
    frozenset({"tensorflow", "keras", "torch"}),
    frozenset({"matplotlib", "seaborn", "plotly"}),
)

BY_NAME = {lib.name: lib for lib in KNOWN}
BY_ALIAS = {alias: lib.name for lib in KNOWN for alias in lib.aliases}
BY_WORD = {word: lib.name for lib in KNOWN for word in lib.words}
BY_DISTRIBUTION = {dist: lib.name for lib in KNOWN for dist in lib.distributions}

# Import roots that are not the library's own name.
IMPORT_ROOTS = {"mpl_toolkits": "matplotlib", "tf_keras": "keras"}
_IMPORTED = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.M)
_ALIAS_USE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.[A-Za-z_]")


def used_in(text: str) -> frozenset[str]:
    """Libraries a pasted task imports or reaches through a conventional alias
    (``import pandas as pd``, ``np.where``)."""
    found = {library_of_module(m) for m in _IMPORTED.findall(text)}
    found.update(BY_ALIAS[a] for a in _ALIAS_USE.findall(text) if a in BY_ALIAS)
    return frozenset(found)


def library_of_module(module: str) -> str:
    """The library a dotted module path belongs to: ``sklearn.linear_model`` -> sklearn."""
    root = module.split(".", 1)[0]
    return IMPORT_ROOTS.get(root, root)


def library_of_distribution(name: str) -> str:
    """Import name for a PyPI project name (case and ``_``/``-`` insensitive)."""
    key = name.strip().lower().replace("_", "-")
    return BY_DISTRIBUTION.get(key, key.replace("-", "_"))


def lookalikes(libraries: list[str]) -> dict[str, list[str]]:
    """For each library in use, the look-alikes not in use (empty entries left out)."""
    used = set(libraries)
    out: dict[str, list[str]] = {}
    for lib in libraries:
        for group in LOOKALIKE_GROUPS:
            if lib in group and group - used:
                out[lib] = sorted(group - used)
    return out
