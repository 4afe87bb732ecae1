"""Where the `spark eval` commands find DS-1000: the shared option and loader."""

from __future__ import annotations

from pathlib import Path

import click

from spark_memory.errors import InvalidInput
from spark_memory.eval.ds1000 import DS1000

# src/spark_memory/cli/eval_data.py -> the repository root is three levels above the package
_REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = _REPO_ROOT.parent / "shared" / "data" / "ds1000"

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SPARK_DS1000_DIR",
    help="DS-1000 data [env SPARK_DS1000_DIR; default: <repo>/../shared/data/ds1000].",
)


def load_data(data_dir: Path | None) -> DS1000:
    folder = data_dir or DEFAULT_DATA_DIR
    if not folder.is_dir():
        raise InvalidInput(
            f"no DS-1000 data directory at {folder}; pass --data-dir or set SPARK_DS1000_DIR"
        )
    return DS1000(folder)
