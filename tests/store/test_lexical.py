"""Reducing long prompts to lexical queries."""

from __future__ import annotations

from spark_memory.store.lexical import informative, symbol_terms, terms


def test_quoted_data_and_stop_words_are_dropped() -> None:
    prompt = (
        "I want to count values: df = pd.DataFrame({'Qu1': ['apple', \"potato\"]}).value_counts()"
    )
    words = terms(prompt)
    assert "apple" not in words
    assert "potato" not in words
    assert "want" not in words
    assert words[:3] == ["count", "values", "df"]
    assert "value" in words
    assert "counts" in words


def test_identifiers_are_split_like_the_index() -> None:
    assert terms("MinMaxScaler") == ["minmaxscaler", "min", "max", "scaler"]
    assert symbol_terms("pandas.DataFrame.value_counts").split() == [
        "pandas.DataFrame.value_counts",
        "pandas",
        "DataFrame",
        "Data",
        "Frame",
        "value",
        "counts",
    ]


def test_informative_keeps_the_rarest_present_words() -> None:
    freq = {"groupby": 40, "the": 9_000, "transform": 120, "zebra": 0}
    assert informative(["the", "groupby", "zebra", "transform"], freq, 10_000, 5) == [
        "groupby",
        "transform",
    ]
    assert informative(["the", "groupby", "transform"], freq, 10_000, 1) == ["groupby"]


def test_informative_keeps_common_words_when_there_is_nothing_else() -> None:
    freq = {"tensor": 9_000, "torch": 9_500, "zebra": 0}
    assert informative(["torch", "tensor", "zebra"], freq, 10_000, 5) == ["tensor", "torch"]
    assert informative(["zebra"], freq, 10_000, 5) == []
