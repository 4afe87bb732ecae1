"""The lessons the learning and retrieval benchmarks plant: deterministic, public, unrelated."""

from __future__ import annotations

from pathlib import Path

from spark_memory.config import Settings
from spark_memory.eval.learning_measure import NEWCOMER
from spark_memory.eval.learning_pool import OFF_TOPIC, docstring_lessons, plant
from spark_memory.models import InsightStatus, Scope, SearchFilters
from spark_memory.service import Spark


def test_the_grown_pool_is_the_same_for_the_same_installed_libraries() -> None:
    first = docstring_lessons(40, modules=("numpy", "pandas"))
    assert first == docstring_lessons(40, modules=("numpy", "pandas"))
    assert len(first) == 40
    assert len({lesson.content for lesson in first}) == 40  # no boilerplate twice
    assert all(lesson.tags[0] in {"numpy", "pandas"} for lesson in first)


def test_planted_lessons_are_active_public_lessons_a_newcomer_sees(tmp_path: Path) -> None:
    lessons = [*OFF_TOPIC, *docstring_lessons(10, modules=("numpy",))]
    with Spark.open(Settings.load(home=tmp_path, embedder="hash")) as spark:
        ids = plant(spark, lessons)
        assert len(set(ids)) == len(lessons)
        seen = spark.store.list_insights(NEWCOMER, SearchFilters(), limit=100)
    assert {i.id for i in seen} == set(ids)
    assert {(i.scope, i.status) for i in seen} == {(Scope.PUBLIC, InsightStatus.ACTIVE)}
