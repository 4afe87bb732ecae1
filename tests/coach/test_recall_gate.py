"""Which retrieved lessons count as found by the task's words (coach/recall.py)."""

from __future__ import annotations

from spark_memory.coach.models import Intent, PlannedQuery
from spark_memory.coach.recall import LEXICAL_GATE_RANK, merge
from spark_memory.models import ChannelScore, DocType, SearchHit


def lesson(n: int, bm25_rank: int | None, cosine: float) -> SearchHit:
    channels = {"vector": ChannelScore(rank=n, score=cosine)}
    if bm25_rank is not None:
        channels["bm25"] = ChannelScore(rank=bm25_rank, score=1.0 / bm25_rank)
    return SearchHit(
        id=f"ins_{n}",
        doc_type=DocType.INSIGHT,
        title=f"lesson {n}",
        library="pandas",
        version="",
        symbol="",
        kind="pitfall",
        text="",
        score=0.0,
        channels=channels,
    )


def test_only_a_lesson_high_in_some_querys_word_ranking_counts_as_found_by_words() -> None:
    # A long prompt's OR of rare words matches a word of almost every lesson; a lesson
    # its words rank low was found by one stray word, not by what the task is about.
    task = PlannedQuery(purpose="task", text="t")
    error = PlannedQuery(purpose="error", text="e")
    deep = LEXICAL_GATE_RANK + 1
    hits_task = [lesson(1, 1, 0.2), lesson(2, deep, 0.2), lesson(3, None, 0.7)]
    hits_error = [lesson(2, deep + 5, 0.3), lesson(4, LEXICAL_GATE_RANK, 0.1)]
    sources = merge([task, error], [hits_task, hits_error], {}, Intent())
    assert {i for i, s in sources.items() if s.lexical} == {"ins_1", "ins_4"}
    assert sources["ins_2"].best_cosine == 0.3  # the best of the queries that found it
    assert sources["ins_3"].best_cosine == 0.7
