"""What an agent reads from `recommend` for ten tasks taken from public documentation.

    python benchmarks/coach_examples.py --home /work/kb/guides [--markdown answers.md]

The tasks paraphrase questions the NumPy and pandas user guides answer (none comes
from DS-1000). Each answer is printed as the agent reads it (``render``, the text of
the MCP result), extractive, with the default budget, so a before/after pair of runs
shows what a change does to the advice itself. docs/coach.md quotes them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from spark_memory.coach.render import render
from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Spark

TASKS: tuple[tuple[str, str], ...] = (
    (
        "groupby-transform",
        "I have a DataFrame with columns a and b; for each row I want the sum of b over rows"
        " with the same a, as a new column",
    ),
    ("top-k-indices", "find the indices of the 3 largest values in a numpy array"),
    ("argsort-descending", "numpy.argsort descending"),
    (
        "wide-to-long",
        "Reshape a pandas DataFrame from wide to long format, keeping the id column and"
        " turning the other columns into variable/value rows",
    ),
    ("value-counts", "count how many times each distinct value occurs in a pandas column"),
    ("forward-fill", "fill missing values in a pandas Series with the last valid value before"),
    ("rolling-mean", "compute a rolling mean over a window of 7 rows of a pandas Series"),
    ("isin-filter", "select the rows of a DataFrame whose column value is in a given list"),
    ("to-datetime", "convert a DataFrame column of date strings to datetime"),
    (
        "pivot-table",
        "make a spreadsheet-style pivot table from a DataFrame: one row per date, one"
        " column per category, the sum of the values in the cells",
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--home", type=Path, required=True, help="SPARK_HOME of the knowledge base")
    p.add_argument("--markdown", type=Path, help="write the answers here as well")
    args = p.parse_args(argv)
    out = []
    with Spark.open(Settings.load(home=args.home)) as spark:
        for name, task in TASKS:
            rec = spark.recommend(task, mode="extractive", principal=LOCAL_PRINCIPAL)
            out.append(f"### {name}\n\n> {task}\n\n```\n{render(rec)}\n```\n")
    text = "\n".join(out)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
