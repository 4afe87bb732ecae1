"""No use case runs as anyone by default: every principal in the service is required.

A route or tool that forgot to pass the caller's principal used to run as the local
admin; now it fails to call at all. This walks every function and method the service
layer defines.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import spark_memory.service
from spark_memory.service import Spark


def service_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    for info in pkgutil.iter_modules(spark_memory.service.__path__):
        module = importlib.import_module(f"spark_memory.service.{info.name}")
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__:
                continue  # imported from elsewhere
            if inspect.isfunction(value):
                yield f"{module.__name__}.{name}", value
            elif inspect.isclass(value):
                for attr, member in vars(value).items():
                    if inspect.isfunction(member):
                        yield f"{module.__name__}.{name}.{attr}", member


def takes_a_principal(parameter: inspect.Parameter) -> bool:
    return parameter.name == "principal" or "Principal" in str(parameter.annotation)


def test_no_service_function_has_a_default_principal() -> None:
    checked = []
    for name, function in service_callables():
        for parameter in inspect.signature(function).parameters.values():
            if takes_a_principal(parameter):
                checked.append(name)
                assert parameter.default is inspect.Parameter.empty, f"{name} defaults its caller"
    assert "spark_memory.service.facade.Spark.search" in checked
    assert "spark_memory.service.experience.Experience.record_trace" in checked


def test_every_use_case_of_the_facade_names_its_caller() -> None:
    verbs = ["search", "recommend", "get_memory", "create_memory", "enrich_memory"]
    verbs += ["share_feedback", "record_trace", "curate", "epochs", "audit_log", "revert"]
    verbs += ["unmerge", "erase", "create_key", "revoke_key", "enqueue_curation"]
    for verb in verbs:
        parameter = inspect.signature(getattr(Spark, verb)).parameters.get("principal")
        assert parameter is not None, verb
        assert parameter.default is inspect.Parameter.empty, verb
