"""Settings come from the home they are loaded for: its config.toml, then SPARK_* variables."""

from __future__ import annotations

from pathlib import Path

from spark_memory.config import Settings


def _home(path: Path, config: str) -> Path:
    path.mkdir()
    (path / "config.toml").write_text(config)
    return path


def test_a_home_given_to_load_is_the_one_whose_config_is_read(tmp_path: Path) -> None:
    spark_home = _home(tmp_path / "env-home", "port = 1111\n")
    given = _home(tmp_path / "given", "port = 2222\nembedder = 'hash'\n")
    environ = {"SPARK_HOME": str(spark_home)}

    settings = Settings.load(environ, home=given)

    assert settings.home == given
    assert settings.db_path == given / "spark.db"
    assert (settings.port, settings.embedder) == (2222, "hash")
    assert Settings.load(environ).port == 1111  # without a home: $SPARK_HOME's


def test_the_environment_and_overrides_still_win_over_the_given_homes_file(
    tmp_path: Path,
) -> None:
    given = _home(tmp_path / "given", "port = 2222\nrate_limit = 5.0\n")
    environ = {"SPARK_PORT": "3333"}

    settings = Settings.load(environ, home=str(given), rate_limit=7.0)

    assert settings.home == given  # a string is taken as a path
    assert (settings.port, settings.rate_limit) == (3333, 7.0)
