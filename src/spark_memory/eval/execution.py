"""Executing DS-1000 candidate solutions exactly as upstream's ``test_ds1000.py`` does.

The test program is ``code_context``, then ``code = <repr of the solution>``, then
``test_execution(code)`` and, where the context defines it, ``test_string(code)``.
Upstream ``exec``-s it with empty globals in a forked worker inside a temporary
directory and counts it passed when nothing is raised (``BaseException`` included).
Here every program gets a *fresh interpreter* of the pinned environment's python,
so that one candidate's imports, monkey-patching or leaked threads cannot change
the next one's result, and candidate code never runs inside Spark's own process.

Per program: an empty working directory, a private ``TMPDIR``, ``MPLBACKEND=Agg``,
proxies pointed at a dead address and a socket guard refusing non-loopback
connections (so a test that silently needs the internet fails fast instead of
hanging), and the whole process group killed at the timeout. Problems whose test
downloads data are reported as skipped without running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from spark_memory.errors import ConfigError, InvalidInput
from spark_memory.eval.ds1000 import Problem

DEFAULT_TIMEOUT = 120.0  # seconds, as upstream
DEFAULT_WORKERS = 2

# Mirrors upstream: exec with empty globals, BaseException (SystemExit too) is a
# failure, and the verdict is recorded before interpreter shutdown so a candidate
# that leaves a non-daemon thread behind still passes, as it does upstream. The
# marker file, not only the exit status, says "passed": os._exit(0) inside a
# candidate must not count as a pass. Shutdown is skipped (os._exit) because
# tearing down TensorFlow/torch costs seconds and decides nothing.
_RUNNER = r"""
import os, sys

def _guard_network():
    import errno, ipaddress, socket
    local_names = {"localhost", "", socket.gethostname()}

    def is_local(host):
        if host is None or host in local_names:
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def refuse(address):
        return "network access is disabled by the DS-1000 harness (%r)" % (address,)

    def guarded(method, returns_code):
        def wrapper(self, address, *args, **kwargs):
            remote = self.family in (socket.AF_INET, socket.AF_INET6)
            if remote and isinstance(address, tuple) and not is_local(address[0]):
                if returns_code:
                    return errno.ENETUNREACH
                raise OSError(errno.ENETUNREACH, refuse(address))
            return method(self, address, *args, **kwargs)
        return wrapper

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not is_local(host):
            raise socket.gaierror(socket.EAI_NONAME, refuse(host))
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded(socket.socket.connect, False)
    socket.socket.connect_ex = guarded(socket.socket.connect_ex, True)
    socket.getaddrinfo = getaddrinfo

def _main(program_path, marker_path, block_network):
    if block_network:
        _guard_network()
    with open(program_path, encoding="utf-8") as handle:
        source = handle.read()
    try:
        exec(compile(source, "<string>", "exec"), {})
    except BaseException:
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    with open(marker_path, "w") as handle:
        handle.write("passed")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

_main(sys.argv[1], sys.argv[2], sys.argv[3] == "1")
"""

_DEAD_PROXY = "http://127.0.0.1:9"  # discard port: connections are refused at once
_PASSTHROUGH_ENV = (
    "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
    "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
    "SEABORN_DATA", "SCIKIT_LEARN_DATA",
)  # fmt: skip


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class HarnessOptions:
    """How to execute: which interpreter, how long, how many at once, how isolated."""

    python: Path
    timeout: float = DEFAULT_TIMEOUT
    workers: int = DEFAULT_WORKERS
    block_network: bool = True
    # False runs the network-data problems anyway (they pass only with a data cache)
    skip_network_data: bool = True
    stderr_tail_chars: int = 2000
    # environment the child's passthrough variables come from; None: this process's
    base_env: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise InvalidInput(f"timeout must be positive, got {self.timeout}")
        if self.workers < 1:
            raise InvalidInput(f"workers must be at least 1, got {self.workers}")


@dataclass(frozen=True)
class ExecutionResult:
    problem_id: int
    library: str
    perturbation_type: str
    status: Status
    duration: float  # seconds of wall time, 0 when skipped
    returncode: int | None  # None when skipped or killed at the timeout
    error: str = ""  # one line: the exception, the timeout or the skip reason
    stderr_tail: str = ""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


@dataclass(frozen=True)
class Task:
    """One candidate solution for one problem."""

    problem: Problem
    solution: str


def build_test_program(code_context: str, solution: str) -> str:
    """The program upstream executes for a solution (byte for byte)."""
    program = code_context + "\n" + f"code = {solution!r}" + "\n" + "test_execution(code)\n"
    if "test_string(" in code_context:
        program += "test_string(code)\n"
    return program


def child_environment(options: HarnessOptions, tmp_dir: Path) -> dict[str, str]:
    """A small, explicit environment: nothing of Spark's own settings leaks in."""
    base = os.environ if options.base_env is None else options.base_env
    env = {name: base[name] for name in _PASSTHROUGH_ENV if name in base}
    bin_dir = str(options.python.parent)
    env["PATH"] = os.pathsep.join([bin_dir, base.get("PATH", os.defpath)])
    env.update(
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",  # upstream sets both of these for its workers
        CUDA_VISIBLE_DEVICES="-1",
        PYTHONIOENCODING="utf-8",
        TMPDIR=str(tmp_dir),
    )
    if options.block_network:
        for name in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy"):
            env[name] = env[name.upper()] = _DEAD_PROXY
        env["no_proxy"] = env["NO_PROXY"] = ""
    return env


# --- one program -----------------------------------------------------------------------


@dataclass
class _Registry:
    """Live child processes, so an interrupted run can kill what it started."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    live: set[subprocess.Popen[bytes]] = field(default_factory=set)
    closed: bool = False

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.live.add(proc)
            closed = self.closed
        if closed:
            _kill_group(proc)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.live.discard(proc)

    def kill_all(self) -> None:
        with self.lock:
            self.closed = True
            procs = list(self.live)
        for proc in procs:
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # The child leads its own session, so this also reaches its children
    # (multiprocessing pools, joblib workers) that would otherwise outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_program(
    program: str, options: HarnessOptions, registry: _Registry | None = None
) -> tuple[Status, int | None, str, float]:
    """Run one test program in a fresh interpreter: (status, exit code, stderr, seconds)."""
    registry = registry or _Registry()
    with tempfile.TemporaryDirectory(prefix="spark-ds1000-") as scratch:
        root = Path(scratch)
        for name in ("work", "tmp"):
            (root / name).mkdir()
        (root / "program.py").write_text(program, encoding="utf-8")
        start = time.monotonic()
        status, returncode = _spawn_and_wait(root, options, registry)
        duration = time.monotonic() - start
        stderr = _tail(root / "stderr", options.stderr_tail_chars)
    return status, returncode, stderr, duration


def _spawn_and_wait(
    root: Path, options: HarnessOptions, registry: _Registry
) -> tuple[Status, int | None]:
    marker = root / "passed"
    argv = [str(options.python), "-c", _RUNNER, str(root / "program.py"), str(marker)]
    argv.append("1" if options.block_network else "0")
    with (root / "stdout").open("wb") as out, (root / "stderr").open("wb") as err:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=root / "work",
                env=child_environment(options, root / "tmp"),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as exc:
            raise ConfigError(f"cannot start {options.python}: {exc}") from exc
        registry.add(proc)
        try:
            returncode: int | None = proc.wait(timeout=options.timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            _kill_group(proc)
            proc.wait()
            registry.discard(proc)
    if returncode is None:
        return Status.TIMEOUT, None
    passed = returncode == 0 and marker.is_file()
    return (Status.PASSED if passed else Status.FAILED), returncode


def _tail(path: Path, chars: int) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        # 4 bytes per char covers any UTF-8; decoding a cut sequence only costs a U+FFFD
        handle.seek(max(0, size - 4 * chars))
        return handle.read().decode("utf-8", "replace")[-chars:]


def exception_line(stderr: str) -> str:
    """The exception a traceback ends with, on one line ("KeyError: 'a'").

    Not simply the last line: assertion helpers (numpy.testing, pandas.testing)
    print multi-line messages whose last line is a fragment of an array. The
    exception line is the first unindented line after the last frame, which
    still works when the tail has cut off the start of the traceback.
    """
    lines = [line for line in stderr.splitlines() if line.strip()]
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    if not frames:
        return lines[-1].strip()[:300] if lines else ""
    message = [line.strip() for line in lines[frames[-1] + 1 :] if not line.startswith(" ")]
    if not message:
        return lines[-1].strip()[:300]
    first = message[0]
    if first.endswith(":") and len(message) > 1:  # "AssertionError:" then the message
        first = f"{first} {message[1]}"
    return first[:300]


# --- one problem -----------------------------------------------------------------------


def skip_reason(problem: Problem, options: HarnessOptions) -> str | None:
    call = problem.network_data_call
    if call is None or not options.skip_network_data:
        return None
    return f"test downloads data ({call}); no network in the harness"


def execute(
    task: Task, options: HarnessOptions, registry: _Registry | None = None
) -> ExecutionResult:
    """Execute one candidate solution against its problem's test."""
    problem = task.problem
    result = ExecutionResult(
        problem_id=problem.problem_id,
        library=problem.library,
        perturbation_type=problem.perturbation_type,
        status=Status.SKIPPED,
        duration=0.0,
        returncode=None,
    )
    reason = skip_reason(problem, options)
    if reason is not None:
        return replace(result, error=reason)
    program = build_test_program(problem.code_context, task.solution)
    status, returncode, stderr, duration = run_program(program, options, registry)
    error = f"timed out after {options.timeout:g} s" if status is Status.TIMEOUT else ""
    if status is Status.FAILED:
        error = exception_line(stderr) or f"exit status {returncode}"
    return replace(
        result,
        status=status,
        duration=round(duration, 3),
        returncode=returncode,
        error=error,
        stderr_tail=stderr,
    )


# --- many problems ---------------------------------------------------------------------


def check_python(python: Path) -> None:
    if not (python.is_file() and os.access(python, os.X_OK)):
        raise ConfigError(
            f"no executable python at {python}; create the pinned environment "
            "with `spark eval setup` or pass --python/--env"
        )


def execute_all(
    tasks: Sequence[Task],
    options: HarnessOptions,
    on_result: Callable[[ExecutionResult], None] | None = None,
) -> list[ExecutionResult]:
    """Execute tasks in parallel; results come back in the order of `tasks`.

    `on_result` is called (from the calling thread) as each one finishes, e.g. to
    advance a progress bar. On an interrupt every child process is killed first.
    """
    check_python(options.python)
    registry = _Registry()
    results: dict[int, ExecutionResult] = {}
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        futures = {pool.submit(execute, task, options, registry): i for i, task in enumerate(tasks)}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if on_result is not None:
                    on_result(results[futures[future]])
        except BaseException:
            _abandon(futures, registry)
            raise
    return [results[i] for i in range(len(tasks))]


def _abandon(futures: Iterable[Future[ExecutionResult]], registry: _Registry) -> None:
    for future in futures:
        future.cancel()
    registry.kill_all()


# --- summaries -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    total: int = 0
    passed: int = 0
    failed: int = 0
    timeout: int = 0
    skipped: int = 0

    @property
    def executed(self) -> int:
        return self.total - self.skipped

    @property
    def pass_rate(self) -> float | None:
        """Passed over executed: skipped problems count for no one."""
        return self.passed / self.executed if self.executed else None

    def add(self, status: Status) -> Tally:
        counts = {status.value: getattr(self, status.value) + 1}
        return replace(self, total=self.total + 1, **counts)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "executed": self.executed, "pass_rate": self.pass_rate}


@dataclass(frozen=True)
class Summary:
    overall: Tally
    by_library: dict[str, Tally]
    by_perturbation: dict[str, Tally]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "by_library": {k: v.to_dict() for k, v in self.by_library.items()},
            "by_perturbation": {k: v.to_dict() for k, v in self.by_perturbation.items()},
        }


def summarize(results: Iterable[ExecutionResult]) -> Summary:
    overall = Tally()
    by_library: dict[str, Tally] = {}
    by_perturbation: dict[str, Tally] = {}
    for r in results:
        overall = overall.add(r.status)
        by_library[r.library] = by_library.get(r.library, Tally()).add(r.status)
        key = r.perturbation_type
        by_perturbation[key] = by_perturbation.get(key, Tally()).add(r.status)
    return Summary(overall, dict(sorted(by_library.items())), dict(sorted(by_perturbation.items())))
