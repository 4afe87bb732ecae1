"""Step 1 and 2: what the coach understands of a request, and the queries it plans."""

from __future__ import annotations

from spark_memory.coach.intent import analyse, imported_aliases
from spark_memory.coach.models import CoachRequest, TaskKind
from spark_memory.coach.plan import MAX_QUERIES, plan_queries


def request(task: str, **fields: object) -> CoachRequest:
    return CoachRequest(task=task, **fields)  # type: ignore[arg-type]


def test_libraries_come_from_imports_aliases_and_prose() -> None:
    intent = analyse(
        request(
            "Using scikit-learn, how do I scale the columns of my frame?",
            code="import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n",
        )
    )
    assert intent.libraries[0] == "sklearn"  # imported and named in prose
    assert set(intent.libraries) == {"sklearn", "pandas"}
    assert intent.aliases == {
        "pd": "pandas",
        "StandardScaler": "sklearn.preprocessing.StandardScaler",
    }


def test_imports_inside_the_task_text_count_as_code() -> None:
    task = (
        "My attempt:\n<code>\nimport numpy as np\nx = np.argsort(a)\n</code>\nWhy is it reversed?"
    )
    intent = analyse(request(task))
    assert intent.libraries == ["numpy"]
    assert [m.name for m in intent.api_names] == ["numpy.argsort"]


def test_a_task_written_as_python_asks_in_its_comments() -> None:
    """The boxplot it draws is the asker's set-up; the comment is the ask."""
    task = (
        "import matplotlib.pyplot as plt\nimport seaborn as sns\n"
        'ax = sns.boxplot(x="day", y="total_bill", data=tips)\n'
        "# set the y axis limit to be 0 to 40\n"
    )
    intent = analyse(request(task))
    where = {m.name: m.where for m in intent.api_names}
    assert where == {"seaborn.boxplot": "code"}
    plan = plan_queries(request(task), intent)
    assert plan[0].purpose == "task"
    assert plan[0].text == "set the y axis limit to be 0 to 40"


def test_environment_gives_versions_but_not_libraries() -> None:
    intent = analyse(
        request(
            "group rows of a pandas dataframe",
            environment={"pandas": "1.5.3", "scikit-learn": "1.4.0", "requests": "2.31"},
        )
    )
    assert intent.libraries == ["pandas"]
    assert intent.versions == {"pandas": "1.5.3"}


def test_versions_named_in_the_task_are_used_when_the_environment_is_silent() -> None:
    intent = analyse(request("In pandas 1.5 how do I pivot a table?"))
    assert intent.versions == {"pandas": "1.5"}


def test_lookalikes_are_the_family_members_not_in_use() -> None:
    intent = analyse(request("import polars as pl\ndf = pl.DataFrame(data)\ngroup it by key"))
    assert intent.libraries == ["polars"]
    assert intent.lookalikes["polars"] == ["dask", "modin", "pandas", "pyspark"]
    tf = analyse(request("import tensorflow as tf\nbuild a dense layer"))
    assert tf.lookalikes["tensorflow"] == ["keras", "torch"]


def test_error_gives_kind_type_and_signature() -> None:
    intent = analyse(
        request(
            "my loop fails",
            error='Traceback (most recent call last):\n  File "a.py", line 3\n'
            "KeyError: 'price_2021'",
        )
    )
    assert intent.task_kind is TaskKind.FIX_ERROR
    assert intent.error_type == "KeyError"
    assert intent.error_signature == "KeyError: <value>"


def test_api_names_are_qualified_through_imports_and_ranked_by_where_they_appear() -> None:
    intent = analyse(
        request(
            "I call `value_counts` then want np.where on the result",
            code="import numpy as np\nimport pandas as pd\ncounts = df['a'].value_counts()\n",
            error="AttributeError: 'Series' object has no attribute 'iteritems'",
        )
    )
    names = [(m.name, m.where) for m in intent.api_names]
    assert names[0] == ("Series.iteritems", "error")
    assert ("value_counts", "prose") in names
    assert ("numpy.where", "prose") in names
    assert all(name not in {"counts", "df"} for name, _ in names)  # local variables


def test_task_kind_from_words() -> None:
    assert analyse(request("Plot x against y with a legend")).task_kind is TaskKind.PLOT
    assert analyse(request("hello there")).task_kind is TaskKind.GENERAL


def test_from_imports_with_aliases_and_lists() -> None:
    code = "from scipy import stats, integrate as integ\nimport numpy as np, torch\n"
    assert imported_aliases(code) == {
        "stats": "scipy.stats",
        "integ": "scipy.integrate",
        "np": "numpy",
        "torch": "torch",
    }


def test_plan_has_focused_queries_and_puts_the_error_first() -> None:
    task = (
        "I have a DataFrame with sales per day.\n\n"
        "I tried df.groupby('day').sum() but it is slow. "
        "How can I compute a rolling 7-day mean per store?"
    )
    req = request(task, error="ValueError: window must be an integer 0 or greater")
    plan = plan_queries(req, analyse(req))
    purposes = [q.purpose for q in plan]
    assert purposes[0] == "error"
    assert "task" in purposes
    assert "question" in purposes
    assert len(plan) <= MAX_QUERIES
    assert len({q.text for q in plan}) == len(plan)
    question = next(q for q in plan if q.purpose == "question")
    assert question.text.startswith("How can I compute a rolling")


def test_plan_reads_the_ask_from_code_comments() -> None:
    task = "import matplotlib.pyplot as plt\nx = range(10)\n# draw x as a red dashed line\n"
    req = request(task)
    plan = plan_queries(req, analyse(req))
    assert plan[0].purpose == "task"
    assert "draw x as a red dashed line" in plan[0].text


def test_plan_also_asks_with_the_whole_request_set_up_code_included() -> None:
    task = (
        "import pandas as pd\ndf = pd.DataFrame({'a': [1, 1, 2], 'b': [3, 4, 5]})\n"
        "For each row I want the sum of b over the rows with the same a."
    )
    req = request(task)
    plan = plan_queries(req, analyse(req))
    whole = plan[-1]
    assert whole.purpose == "whole"
    assert "pd.DataFrame({'a':" in whole.embed
    assert "DataFrame" not in plan[0].embed  # the task query keeps to the prose
    assert len(plan) <= MAX_QUERIES


def test_the_whole_request_is_embedded_without_its_printed_data() -> None:
    """MiniLM reads 256 word pieces: a printed table before the question would spend
    them. The whole query's words still carry the set-up code for full text."""
    rows = "\n".join(f"{n}  Aaron  {n}  {n * 2}" for n in range(30))
    task = (
        f"I have a dataframe like this:\n    name  a  b\n{rows}\n"
        "I want to replace each name with a unique ID.\n"
        "A:\n<code>\nimport pandas as pd\ndf = pd.DataFrame({'name': ['Aaron']})\n</code>"
    )
    req = request(task)
    whole = plan_queries(req, analyse(req))[-1]
    assert whole.purpose == "whole"
    assert "replace each name with a unique ID" in whole.embed
    assert "Aaron" not in whole.embed
    assert "pd.DataFrame" not in whole.embed
    assert "Aaron" in whole.text


def test_the_object_a_task_works_on_is_no_api_query() -> None:
    """Searched alone, "DataFrame" finds its plumbing (``DataFrame.columns``), which the
    coach then led with for a task that needs ``groupby(...).transform``."""
    req = request(
        "I have a DataFrame with columns a and b; for each row I want the sum of b "
        "over rows with the same a, as a new column. Should I use np.cumsum?"
    )
    api = next(q for q in plan_queries(req, analyse(req)) if q.purpose == "api")
    assert api.text == "cumsum"
    only_object = request("I have a DataFrame with columns a and b.")
    assert "api" not in [q.purpose for q in plan_queries(only_object, analyse(only_object))]


def test_the_set_up_codes_calls_are_no_api_query() -> None:
    """What the caller's code already calls is what it has, not what it asks for:
    searched, ``np.random.seed`` and ``uniform`` led a plotting task's answer."""
    req = request(
        "import numpy as np\nimport matplotlib.pyplot as plt\nnp.random.seed(0)\n"
        "x = np.random.uniform(size=10)\n# plot x as a histogram with pyplot.hist\n"
    )
    plan = plan_queries(req, analyse(req))
    assert {m.where for m in analyse(req).api_names} >= {"code"}
    api = [q.text for q in plan if q.purpose == "api"]
    assert api == ["hist"]
