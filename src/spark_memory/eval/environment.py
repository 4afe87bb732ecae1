"""The pinned execution environment DS-1000 candidates run in.

Candidate code must run against upstream's library versions, not Spark's own: with
current releases (pandas 3, numpy 2) dozens of *reference* solutions fail. So the
harness runs a separate virtual environment, created once by ``spark eval setup``.

The pins are upstream's (``xlang-ai/DS-1000`` README), except two deliberate
differences: Python 3.11 instead of 3.10 (Spark's own floor), and torch 2.13.0
instead of 2.2.0, the CPU build available on the machines this was measured on.
torch is always pinned in the same pip command as the rest: left to the resolver,
pip picks a CUDA build and several GB of GPU libraries.

Creation is idempotent: a marker file records a hash of the pins, written only
after every package imports; a complete environment is never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spark_memory.errors import ConfigError

PYTHON_VERSION = (3, 11)
PINS: tuple[str, ...] = (
    "numpy==1.26.4",
    "pandas==1.5.3",
    "scipy==1.12.0",
    "scikit-learn==1.4.0",
    "matplotlib==3.8.4",
    "seaborn==0.13.2",
    "torch==2.13.0",  # upstream: 2.2.0; see the module docstring
    "tensorflow-cpu==2.16.1",
    "gensim==4.3.2",
    "statsmodels==0.14.1",
    "xgboost==2.0.3",
    "Pillow",
    "PyYAML",
)
# distribution name -> import name, for the post-install check
IMPORT_NAMES = {
    "numpy": "numpy",
    "pandas": "pandas",
    "scipy": "scipy",
    "scikit-learn": "sklearn",
    "matplotlib": "matplotlib",
    "seaborn": "seaborn",
    "torch": "torch",
    "tensorflow-cpu": "tensorflow",
    "gensim": "gensim",
    "statsmodels": "statsmodels",
    "xgboost": "xgboost",
    "Pillow": "PIL",
    "PyYAML": "yaml",
}
MARKER = ".spark-eval-env.json"

Log = Callable[[str], None]


@dataclass(frozen=True)
class EnvironmentStatus:
    path: Path
    python: Path
    created: bool  # False: it was already complete and was left alone
    versions: dict[str, str]


def default_path(spark_home: Path) -> Path:
    return spark_home / "eval-env"


def env_python(env_dir: Path) -> Path:
    if sys.platform == "win32":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def pins_hash(pins: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(pins)).encode()).hexdigest()[:16]


def distribution_name(pin: str) -> str:
    for separator in ("==", ">=", "<=", "~=", "!=", "<", ">", "["):
        pin = pin.split(separator)[0]
    return pin.strip()


def read_marker(env_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((env_dir / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _marker_versions(env_dir: Path) -> dict[str, str]:
    versions = (read_marker(env_dir) or {}).get("versions")
    if not isinstance(versions, dict):
        return {}
    return {str(name): str(version) for name, version in versions.items()}


def is_ready(env_dir: Path, pins: Sequence[str] = PINS) -> bool:
    marker = read_marker(env_dir)
    return (
        marker is not None
        and marker.get("pins_hash") == pins_hash(pins)
        and env_python(env_dir).is_file()
    )


def find_base_python(explicit: Path | None = None) -> Path:
    """A Python 3.11 to build the venv from: `explicit`, this one, or python3.11 on PATH."""
    candidates = [explicit] if explicit else [Path(sys.executable), _which("python3.11")]
    for candidate in candidates:
        if candidate is not None and _python_version(candidate) == PYTHON_VERSION:
            return candidate
    wanted = ".".join(map(str, PYTHON_VERSION))
    tried = ", ".join(str(c) for c in candidates if c is not None)
    raise ConfigError(f"need a Python {wanted} to create the environment (tried: {tried})")


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _python_version(python: Path) -> tuple[int, int] | None:
    probe = "import sys; print(sys.version_info[0], sys.version_info[1])"
    try:
        out = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def create_environment(
    env_dir: Path,
    *,
    base_python: Path | None = None,
    pins: Sequence[str] = PINS,
    pip_args: Sequence[str] = (),
    force: bool = False,
    log: Log = lambda _line: None,
) -> EnvironmentStatus:
    """Create (or complete) the pinned environment at `env_dir`; a no-op when ready."""
    python = env_python(env_dir)
    if is_ready(env_dir, pins) and not force:
        log(f"{env_dir} is up to date (pins {pins_hash(pins)})")
        # the marker's versions: re-importing torch and tensorflow would cost half a minute
        return EnvironmentStatus(env_dir, python, False, _marker_versions(env_dir))
    (env_dir / MARKER).unlink(missing_ok=True)
    if not python.is_file():
        base = find_base_python(base_python)
        log(f"creating a virtual environment at {env_dir} with {base}")
        _run([str(base), "-m", "venv", str(env_dir)], "venv creation")
    if pins:
        log(
            f"installing {len(pins)} pinned packages (several minutes; torch and tensorflow are large)"
        )
        _run([str(python), "-m", "pip", "install", *pip_args, *pins], "pip install")
    versions = installed_versions(python, pins)
    _write_marker(env_dir, pins, versions)
    log(f"ready: {env_dir}")
    return EnvironmentStatus(env_dir, python, True, versions)


def _run(argv: list[str], what: str) -> None:
    # Output goes to the terminal (stdout onto stderr, keeping --json output clean):
    # a pip failure is only diagnosable from it.
    try:
        subprocess.run(argv, check=True, stdout=2)  # fd 2: sys.stderr may be a wrapper
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} failed: {exc}") from exc
    except subprocess.CalledProcessError as exc:
        raise ConfigError(
            f"{what} failed with exit status {exc.returncode}: {' '.join(argv[:4])} ..."
        ) from exc


def installed_versions(python: Path, pins: Sequence[str] = PINS) -> dict[str, str]:
    """Import every pinned package in `python` and return distribution -> version.

    Importing (not just asking pip) is the point: a wheel that installs but cannot
    load its native library must fail here, not in the middle of a benchmark.
    """
    names = [distribution_name(pin) for pin in pins]
    imports = [IMPORT_NAMES.get(name, name.replace("-", "_")) for name in names]
    probe = (
        "import importlib, importlib.metadata as m, json, sys\n"
        "names, imports = json.loads(sys.argv[1])\n"
        "for i in imports: importlib.import_module(i)\n"
        "print(json.dumps({n: m.version(n) for n in names}))\n"
    )
    argv = [str(python), "-c", probe, json.dumps([names, imports])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg", CUDA_VISIBLE_DEVICES="-1")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"cannot run {python}: {exc}") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"the environment of {python} is incomplete: {tail[0]}")
    versions: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    _check_pins(python, pins, versions)
    return versions


def _check_pins(python: Path, pins: Sequence[str], versions: dict[str, str]) -> None:
    for pin in pins:
        if "==" not in pin:
            continue
        name, wanted = pin.split("==", 1)
        # a local build tag ("2.13.0+cpu") is the same release for this purpose
        got = versions.get(distribution_name(name), "").split("+")[0]
        if got != wanted.strip():
            raise ConfigError(f"{python}: {name} is {got or 'missing'}, the pin is {wanted}")


def _write_marker(env_dir: Path, pins: Sequence[str], versions: dict[str, str]) -> None:
    python_version = ".".join(map(str, _python_version(env_python(env_dir)) or ()))
    marker = {
        "pins_hash": pins_hash(pins),
        "pins": list(pins),
        "python": python_version,
        "versions": versions,
    }
    (env_dir / MARKER).write_text(json.dumps(marker, indent=2) + "\n", "utf-8")


def package_versions(python: Path, names: Sequence[str]) -> dict[str, str | None]:
    """Installed versions (None: absent) without importing anything; for run reports."""
    probe = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try:\n"
        "        return m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        "print(json.dumps({n: v(n) for n in json.loads(sys.argv[1])}))\n"
    )
    argv = [str(python), "-c", probe, json.dumps(list(names))]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
        versions: dict[str, str | None] = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise ConfigError(f"cannot query package versions of {python}: {exc}") from exc
    return versions
