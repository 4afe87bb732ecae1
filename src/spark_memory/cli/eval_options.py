"""What the `spark eval` commands share: where DS-1000 is, the execution environment."""

from __future__ import annotations

from pathlib import Path

import click

from spark_memory.errors import InvalidInput
from spark_memory.eval.ds1000 import DS1000
from spark_memory.eval.execution import DEFAULT_TIMEOUT

# src/spark_memory/cli/eval_options.py -> the repository root is three levels above the package
_REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = _REPO_ROOT.parent / "shared" / "data" / "ds1000"

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SPARK_DS1000_DIR",
    help="DS-1000 data [env SPARK_DS1000_DIR; default: <repo>/../shared/data/ds1000].",
)

env_option = click.option(
    "--env",
    "env_dir",
    type=click.Path(path_type=Path),
    envvar="SPARK_EVAL_ENV",
    help="The pinned environment [env SPARK_EVAL_ENV; default: $SPARK_HOME/eval-env].",
)
python_option = click.option(
    "--python",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this interpreter instead of the environment's.",
)
program_timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds per program.",
)


def load_data(data_dir: Path | None) -> DS1000:
    folder = data_dir or DEFAULT_DATA_DIR
    if not folder.is_dir():
        raise InvalidInput(
            f"no DS-1000 data directory at {folder}; pass --data-dir or set SPARK_DS1000_DIR"
        )
    return DS1000(folder)
