from __future__ import annotations

import sys
from pathlib import Path

import pytest

from spark_memory.errors import ConfigError
from spark_memory.eval import environment
from spark_memory.eval.environment import (
    PINS,
    create_environment,
    distribution_name,
    env_python,
    find_base_python,
    installed_versions,
    is_ready,
    pins_hash,
)


def test_pins_are_upstreams_with_the_local_torch() -> None:
    pinned = dict(pin.split("==") for pin in PINS if "==" in pin)

    assert pinned["pandas"] == "1.5.3"
    assert pinned["numpy"] == "1.26.4"
    assert pinned["tensorflow-cpu"] == "2.16.1"
    # pinned in the same install command: unpinned, pip resolves a CUDA build
    assert pinned["torch"] == "2.13.0"
    assert {distribution_name(pin) for pin in PINS} == set(environment.IMPORT_NAMES)


def test_the_pins_hash_ignores_order() -> None:
    assert pins_hash(["a==1", "b==2"]) == pins_hash(["b==2", "a==1"])
    assert pins_hash(["a==1"]) != pins_hash(["a==2"])


def test_installed_versions_imports_and_checks_pins() -> None:
    python = Path(sys.executable)

    assert installed_versions(python, ["click"])["click"]
    with pytest.raises(ConfigError, match=r"click is .*, the pin is 0\.0\.1"):
        installed_versions(python, ["click==0.0.1"])
    with pytest.raises(ConfigError, match="incomplete"):
        installed_versions(python, ["surely-not-installed-package"])


def test_this_interpreter_is_a_usable_base() -> None:
    assert find_base_python(Path(sys.executable)) == Path(sys.executable)
    with pytest.raises(ConfigError, match=r"need a Python 3\.11"):
        find_base_python(Path("/nonexistent/python"))


@pytest.mark.slow
def test_create_is_idempotent(tmp_path: Path) -> None:
    env_dir = tmp_path / "env"
    lines: list[str] = []

    first = create_environment(env_dir, pins=(), log=lines.append)
    second = create_environment(env_dir, pins=(), log=lines.append)

    assert first.created
    assert not second.created
    assert env_python(env_dir).is_file()
    assert is_ready(env_dir, ())
    assert not is_ready(env_dir, PINS)  # other pins: not this environment
    assert "up to date" in lines[-1]


@pytest.mark.slow
def test_the_pinned_environment_has_the_pins(pinned_python: Path) -> None:
    versions = installed_versions(pinned_python)

    assert versions["pandas"] == "1.5.3"
    assert versions["torch"].startswith("2.13.0")
