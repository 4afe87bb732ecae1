"""A pasted task's printed data does not reach the embedder: search reads its question."""

from __future__ import annotations

from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.search.named import named_in_prose
from spark_memory.service import Spark
from spark_memory.task_text import for_embedding, prose

QUESTION = "How can I fill the zeros with the previous non-zero value using pandas?"
TABLE = "\n".join(
    ["I have the following dataframe:", "    A    B  when"]
    + [f"{n}   {n % 3}  {n * 0.5}  2015-01-{n + 1:02d}" for n in range(12)]
)
SETUP = "<code>\nimport pandas as pd\ndf = pd.DataFrame({'A': [1, 0, 0, 2]})\n</code>"


def test_the_embedder_reads_the_prose_without_its_printed_rows_and_code() -> None:
    task = f"{TABLE}\n\n{QUESTION}\n\nA:\n{SETUP}"
    read = for_embedding(task)
    assert QUESTION in read
    assert "I have the following dataframe:" in read
    assert "2015-01-03" not in read
    assert "pd.DataFrame" not in read
    # a header row is words, not data: it stays
    assert "A    B  when" in read


def test_a_task_that_is_all_code_or_data_is_read_whole() -> None:
    only_code = "```python\ndf.groupby('a')['b'].transform('sum')\n```"
    assert for_embedding(only_code) == only_code
    rows = "1 2 3\n4 5 6"
    assert for_embedding(rows) == rows
    assert prose(f"before {SETUP} after").split() == ["before", "after"]


def test_search_by_meaning_is_the_same_with_or_without_the_pasted_printout(spark: Spark) -> None:
    """The vector channel scores every page as if the table were not there; full-text
    search still reads all of it."""
    spark.warm()
    without_rows = f"I have the following dataframe:\n    A    B  when\n\n{QUESTION}"
    plain = spark.search(without_rows, principal=LOCAL_PRINCIPAL, k=10)
    pasted = spark.search(f"{TABLE}\n\n{QUESTION}", principal=LOCAL_PRINCIPAL, k=10)
    by_meaning = {h.id: h.channels["vector"].score for h in plain if "vector" in h.channels}
    again = {h.id: h.channels["vector"].score for h in pasted if "vector" in h.channels}
    shared = by_meaning.keys() & again.keys()
    assert shared, (plain, pasted)
    assert all(abs(by_meaning[i] - again[i]) < 1e-6 for i in shared)


PLOT = (
    "import matplotlib.pyplot as plt\nimport seaborn as sns\n\n"
    'tips = sns.load_dataset("tips")\n'
    'ax = sns.boxplot(x="day", y="total_bill", data=tips)\n\n'
    "# set the y axis limit to be 0 to 40\n"
)


def test_a_task_written_as_python_is_read_by_its_comments() -> None:
    """The code is what the asker has; the comment is what they ask for."""
    assert for_embedding(PLOT) == "set the y axis limit to be 0 to 40"
    assert named_in_prose(PLOT) == frozenset()
    assert named_in_prose(PLOT + "# use plt.ylim\n") == {"ylim"}


def test_code_without_comments_and_a_lone_word_are_read_as_written() -> None:
    call = "df.groupby('a')['b'].transform('sum')"
    assert for_embedding(call) == call
    assert named_in_prose(call) == {"groupby", "transform"}
    assert for_embedding("argsort descending") == "argsort descending"


def test_a_query_too_deep_for_the_python_parser_is_read_as_text(spark: Spark) -> None:
    deep = "x" + ".a" * 3000
    assert for_embedding(deep) == deep
    hits = spark.search("1+" * 3000 + "1", principal=LOCAL_PRINCIPAL, k=3)
    assert isinstance(hits, list)  # an answer, not a crash
