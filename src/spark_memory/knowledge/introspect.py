"""Walk the public API of installed libraries; print raw symbol records as JSON lines.

Standalone on purpose: this file runs inside *any* target interpreter (a pinned
DS-1000 environment, a user's project venv) as ``python introspect.py numpy pandas``,
so it imports nothing but the standard library and never ``spark_memory``.

Records, one JSON object per line on stdout (``t`` is the record type):

    {"t": "library", "library", "version", "file"}
    {"t": "module", "name"}                     about to import/walk this module
    {"t": "doc", "id", "text"}                  a docstring, printed once, referenced by id
    {"t": "symbol", "name", "kind", "module", "signature", "doc", "aliases", "owner", "defined_in"}
    {"t": "problem", "kind", "where", "detail"} something went wrong; the walk went on
    {"t": "done", "library", "modules", "symbols", "seconds"}

Naming rule: an object's canonical name is the shortest public dotted path under
which it is reachable (a name in ``__all__`` beats one merely present), ties going
to the path in the object's own ``__module__``; the other paths are its aliases.
A module is named by its ``__name__`` when that is public, else by the attribute
path that reached it (TensorFlow's ``tensorflow._api.v2.math`` is ``tensorflow.math``).
Class members, inherited ones included, are named under their class's canonical name.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import pkgutil
import re
import signal
import sys
import time
import types
import warnings
from collections import deque
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

# Modules never imported: test suites, entry points, build tooling, GUI backends,
# and modules known to spawn processes, need optional packages or take minutes.
SKIP_PARTS = frozenset({"tests", "test", "conftest", "setup", "__main__", "benchmarks", "_tests"})
SKIP_PREFIXES: dict[str, tuple[str, ...]] = {
    "numpy": (
        "numpy.distutils",
        "numpy.f2py.tests",
        "numpy.typing.mypy_plugin",
        "numpy.core.setup",
    ),
    "matplotlib": (
        "matplotlib.backends",
        "matplotlib.testing",
        "matplotlib.sphinxext",
        "matplotlib.pylab",
    ),
    "torch": (
        "torch.utils.tensorboard",
        "torch.utils.bottleneck",
        "torch.utils.hipify",
        "torch.utils.model_dump",
        "torch.utils.benchmark.examples",
        "torch.distributed.launch",
        "torch.distributed.run",
        "torch.distributed.elastic.agent.server.local_elastic_agent",
        "torch.testing._internal",
        "torch.contrib",
        "torch.onnx._internal",
    ),
    "tensorflow": (
        "tensorflow.keras",
        "tensorflow.compat.v1.keras",
        "tensorflow.compat.v2.keras",
        # compat.v1.compat.v2... are further copies of the whole API
        "tensorflow.compat.v1.compat",
        "tensorflow.compat.v2.compat",
    ),
    "sklearn": ("sklearn.externals",),
    "pandas": ("pandas.util.testing", "pandas.conftest"),
}
# TensorFlow's importable files are its implementation (tensorflow.python...); its
# public API is only what the generated ``_api`` modules expose as attributes, and
# a module's name is the attribute path that reaches it.
API_PACKAGES: dict[str, str] = {"tensorflow": "tensorflow._api."}
# Accessors shared by several classes are documented under these owners first
# (the pandas API reference lists Series.str.*, Series.dt.*, DataFrame.plot.*).
ACCESSOR_OWNERS: dict[str, tuple[str, ...]] = {"pandas": ("pandas.Series", "pandas.DataFrame")}
# Members of these bases are the language's, not the library's documentation
# (namedtuple results would all grow count/index). Bases from other third-party
# packages (sympy under torch.fx) are skipped too; str/bytes/float stay, numpy.str_
# documents its str methods.
FOREIGN_BASES = frozenset(
    {object, type, BaseException, Exception, tuple, list, dict, set, frozenset}
)
# Classes whose runtime instances are a private subclass documented under them:
# TensorFlow's eager tensors are _EagerTensorBase, whose methods (numpy()) its API
# reference lists on tf.Tensor.
EXTRA_MEMBER_SOURCES: dict[str, tuple[str, ...]] = {
    "tensorflow.Tensor": ("tensorflow.python.framework.ops._EagerTensorBase",),
}

MAX_MODULES = 6000
MAX_NAMES_PER_MODULE = 6000
MAX_MEMBERS_PER_CLASS = 1500
# A base whose members would be copied more often than this (inheriting classes x
# inherited members) is a framework base; see Walker.inherits_here.
MAX_INHERITED_COPIES = 2000
MAX_DOC_CHARS = 60_000
MAX_SIGNATURE_CHARS = 1500
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_PROCESS = re.compile(r"/proc/\d+/")  # numpy.testing.memusage(_proc_pid_stat='/proc/<pid>/stat')


class ModuleTimeout(BaseException):
    """Raised by the alarm inside a module that takes too long; BaseException so
    that library code catching ``Exception`` cannot swallow it."""


class Candidate(NamedTuple):
    path: str
    module: str  # canonical name of the module holding this path
    preferred: bool = False  # a documented home that wins ties (ACCESSOR_OWNERS)


class Writer:
    """Prints records; each docstring text once, then by id."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.doc_ids: dict[str, int] = {}
        self.symbols = 0
        self.problems = 0

    def emit(self, record: dict[str, Any]) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=True) + "\n")

    def doc(self, text: str) -> int:
        if not text:
            return -1
        if text not in self.doc_ids:
            self.doc_ids[text] = len(self.doc_ids)
            self.emit({"t": "doc", "id": self.doc_ids[text], "text": text})
        return self.doc_ids[text]

    def problem(self, kind: str, where: str, detail: str = "") -> None:
        self.problems += 1
        self.emit({"t": "problem", "kind": kind, "where": where, "detail": detail[:500]})

    def symbol(self, name: str, kind: str, obj_doc: str, **fields: Any) -> None:
        self.symbols += 1
        record = {"t": "symbol", "name": name, "kind": kind, "doc": self.doc(obj_doc)}
        record.update(fields)
        self.emit(record)


# --- guards --------------------------------------------------------------------------


def _on_alarm(signum: int, frame: types.FrameType | None) -> None:
    raise ModuleTimeout()


class Deadline:
    """Bounds the time spent importing and walking one module (main thread, POSIX)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> Deadline:
        if self.seconds > 0 and hasattr(signal, "setitimer"):
            # Re-armed each time: an imported module may have installed its own handler.
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)


def isolate_stdio() -> IO[str]:
    """Keep stdout for records only: anything a library prints, even from C, goes to
    stderr; stdin reads as empty so a module that prompts cannot block the walk."""
    record_fd = os.dup(1)
    os.dup2(2, 1)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    sys.stdout = sys.stderr
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    return os.fdopen(record_fd, "w", encoding="utf-8", buffering=1)


def safe_getattr(obj: Any, name: str, writer: Writer, where: str) -> tuple[bool, Any]:
    """getattr that reports instead of raising: lazy loaders and deprecated shims run
    arbitrary code on attribute access."""
    try:
        return True, getattr(obj, name)
    except ModuleTimeout:
        raise
    except Exception as exc:  # noqa: BLE001 - any third-party error; reported, walk goes on
        writer.problem("getattr_error", f"{where}.{name}", _describe(exc))
        return False, None


def dunder(obj: Any, name: str, default: Any) -> Any:
    """getattr with a default that also survives a module ``__getattr__`` raising
    something other than AttributeError for dunder names."""
    try:
        return getattr(obj, name, default)
    except ModuleTimeout:
        raise
    except Exception:  # noqa: BLE001 - arbitrary library code; the default is the answer
        return default


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def clean_text(text: object) -> str:
    """A docstring fit for JSON and a content hash: str, dedented, no lone surrogates,
    no memory addresses (they change every run and would break idempotent ingest)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    text = inspect.cleandoc(text)[:MAX_DOC_CHARS]
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _ADDRESS.sub("", text)


def own_doc(obj: Any) -> str:
    try:
        return clean_text(getattr(obj, "__doc__", None))
    except Exception:  # noqa: BLE001 - a raising __doc__ property means no doc
        return ""


# --- naming helpers ------------------------------------------------------------------


def is_public_path(path: str) -> bool:
    return all(part and not part.startswith("_") for part in path.split("."))


def skipped(name: str, library: str, extra: tuple[str, ...]) -> bool:
    parts = name.split(".")
    if any(p in SKIP_PARTS or p.startswith("_") for p in parts[1:]):
        return True
    prefixes = SKIP_PREFIXES.get(library, ()) + extra
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def home_module(obj: Any) -> str:
    try:
        module = getattr(obj, "__module__", None)
    except Exception:  # noqa: BLE001 - exotic descriptors
        return ""
    return module if isinstance(module, str) else ""


def root_of(name: str) -> str:
    return name.split(".", 1)[0]


def candidate_key(c: Candidate, home: str) -> tuple[int, bool, int, int, str]:
    """Shortest path first; among equals, the module closest to where the object is
    defined (sklearn.preprocessing.LabelEncoder, not sklearn.calibration.LabelEncoder,
    which merely imports it); then the shorter spelling (numpy.abs over numpy.absolute)."""
    return (
        c.path.count("."),
        not c.preferred,
        -_shared_prefix(c.module, home),
        len(c.path),
        c.path,
    )


def _shared_prefix(module: str, home: str) -> int:
    count = 0
    for a, b in zip(module.split("."), home.split("."), strict=False):
        if a != b:
            break
        count += 1
    return count


# --- the walk ----------------------------------------------------------------------------


class Walker:
    """Discovers modules, collects naming candidates, then emits symbols."""

    def __init__(
        self, library: str, writer: Writer, module_timeout: float, skip: tuple[str, ...]
    ) -> None:
        self.library = library
        self.writer = writer
        self.module_timeout = module_timeout
        self.skip = skip
        self.modules: dict[str, types.ModuleType] = {}
        self.module_ids: dict[int, str] = {}
        self.objects: dict[int, Any] = {}
        self.candidates: dict[int, list[Candidate]] = {}
        self.canonical: dict[int, str] = {}
        self.object_names: set[str] = set()
        self.emitted_classes: set[int] = set()
        self.bulk_bases: set[int] = set()
        self._members: dict[int, list[tuple[str, Any, type]]] = {}
        self.holders: dict[tuple[str, int], int] = {}  # (attr, id(raw)) -> best-named class

    # phase 1: modules ------------------------------------------------------------------

    def discover(self, root: types.ModuleType) -> None:
        queue: deque[tuple[str, Any]] = deque([(self.library, root)])
        while queue and len(self.modules) < MAX_MODULES:
            path, module = queue.popleft()
            module = module if module is not None else self.import_module(path)
            if module is None or id(module) in self.module_ids:
                continue
            name = self.module_name(module, path)
            if skipped(name, self.library, self.skip):
                continue
            self.modules[name] = module
            self.module_ids[id(module)] = name
            try:
                queue.extend(self.children(name, module))
            except Exception as exc:  # noqa: BLE001 - one odd module must not end the walk
                self.writer.problem("walk_error", name, _describe(exc))
        if queue:
            self.writer.problem("too_many_modules", self.library, f"stopped at {MAX_MODULES}")

    def import_module(self, path: str) -> types.ModuleType | None:
        if skipped(path, self.library, self.skip):
            return None
        self.writer.emit({"t": "module", "name": path})
        try:
            with Deadline(self.module_timeout):
                return importlib.import_module(path)
        except ModuleTimeout:
            self.writer.problem("module_timeout", path, f"import took over {self.module_timeout}s")
        except BaseException as exc:  # noqa: BLE001 - SystemExit/ImportError/anything at import
            self.writer.problem("import_error", path, _describe(exc))
        return None

    def module_name(self, module: types.ModuleType, path: str) -> str:
        real = dunder(module, "__name__", "")
        if self.library in API_PACKAGES or not isinstance(real, str):
            return path
        return real if is_public_path(real) and root_of(real) == self.library else path

    def children(self, name: str, module: types.ModuleType) -> list[tuple[str, Any]]:
        found: dict[str, Any] = {}
        if self.library not in API_PACKAGES:
            for info in self.file_children(module):
                found.setdefault(f"{name}.{info}", None)
        for attr, value in sorted(vars(module).items()):
            if (
                isinstance(value, types.ModuleType)
                and not attr.startswith("_")
                and self.follows(value)
            ):
                found[f"{name}.{attr}"] = value
        return sorted(found.items(), key=lambda kv: kv[0])

    def follows(self, module: types.ModuleType) -> bool:
        """Module attributes lead to this library's modules; one with a private name
        is followed only where the attribute path *is* the public API (TensorFlow),
        elsewhere it is an import alias (``import numpy.core.numeric as N``)."""
        real = dunder(module, "__name__", "")
        if not isinstance(real, str) or root_of(real) != self.library:
            return False
        if self.library in API_PACKAGES:
            return real.startswith(API_PACKAGES[self.library])
        return is_public_path(real)

    def file_children(self, module: types.ModuleType) -> list[str]:
        paths = dunder(module, "__path__", None)
        if paths is None:
            return []
        try:
            return sorted(
                i.name for i in pkgutil.iter_modules(list(paths)) if not i.name.startswith("_")
            )
        except Exception as exc:  # noqa: BLE001 - namespace packages with odd __path__
            self.writer.problem("listing_error", dunder(module, "__name__", "?"), _describe(exc))
            return []

    # phase 2: naming candidates ---------------------------------------------------------

    def collect(self) -> None:
        for name, module in sorted(self.modules.items()):
            self.writer.emit({"t": "module", "name": name})
            try:
                with Deadline(self.module_timeout):
                    self.collect_module(name, module)
            except ModuleTimeout:
                self.writer.problem(
                    "module_timeout", name, f"walk took over {self.module_timeout}s"
                )

    def collect_module(self, name: str, module: types.ModuleType) -> None:
        for attr in self.public_names(name, module):
            ok, value = safe_getattr(module, attr, self.writer, name)
            if ok and self.wanted(value):
                self.add_candidate(value, Candidate(f"{name}.{attr}", name))

    def public_names(self, name: str, module: types.ModuleType) -> list[str]:
        """``__all__`` plus what dir() shows: lazy modules list names only in
        ``__all__``, and numpy leaves abs/max/min out of ``__all__`` (so star-imports do
        not shadow builtins) although they are its documented API. Objects merely
        imported into a module become aliases, named where they are defined."""
        try:
            names = {n for n in dir(module) if not n.startswith("_")}
        except Exception as exc:  # noqa: BLE001 - a module-level __dir__ runs library code
            self.writer.problem("getattr_error", f"{name}.__dir__", _describe(exc))
            names = set()
        exported = dunder(module, "__all__", None)
        if isinstance(exported, (list, tuple)):
            names |= {n for n in exported if isinstance(n, str) and not n.startswith("_")}
        return self.capped(name, sorted(names))

    def capped(self, name: str, names: list[str]) -> list[str]:
        if len(names) > MAX_NAMES_PER_MODULE:
            self.writer.problem(
                "huge_module", name, f"{len(names)} names, kept {MAX_NAMES_PER_MODULE}"
            )
        return names[:MAX_NAMES_PER_MODULE]

    def wanted(self, value: Any) -> bool:
        """Classes, routines and documented objects (ufuncs, distributions) of this library."""
        if isinstance(value, types.ModuleType):
            return False
        if inspect.isclass(value) or inspect.isroutine(value):
            home = home_module(value)
            return not home or root_of(home) == self.library
        return self.documented_instance(value)

    def documented_instance(self, value: Any) -> bool:
        doc = own_doc(value)
        if not doc or doc == own_doc(type(value)):
            return False
        return root_of(home_module(type(value))) == self.library

    def add_candidate(self, value: Any, candidate: Candidate) -> None:
        self.objects.setdefault(id(value), value)
        self.candidates.setdefault(id(value), []).append(candidate)

    # phase 3: canonical names ---------------------------------------------------------

    def resolve(self) -> None:
        self.add_instance_types()
        self.pick_names()
        self.add_accessor_paths()
        self.pick_names()

    def add_instance_types(self) -> None:
        """The class of a public object (scipy.stats.uniform -> uniform_gen) is documented
        through it; name it even when it is only present, not exported."""
        for obj in list(self.objects.values()):
            if inspect.isclass(obj) or inspect.isroutine(obj):
                continue
            cls = type(obj)
            if id(cls) not in self.candidates and root_of(home_module(cls)) == self.library:
                path = f"{home_module(cls)}.{cls.__qualname__}"
                if is_public_path(path):
                    self.add_candidate(cls, Candidate(path, home_module(cls)))

    def pick_names(self) -> None:
        for key, found in self.candidates.items():
            home = home_module(self.objects[key])
            self.canonical[key] = min(found, key=lambda c: candidate_key(c, home)).path

    def add_accessor_paths(self) -> None:
        """pandas ``Series.str`` is a path to StringMethods, shorter than its module's."""
        preferred = ACCESSOR_OWNERS.get(self.library, ())
        for key, obj in list(self.objects.items()):
            if not inspect.isclass(obj):
                continue
            owner = self.canonical[key]
            for attr, accessor in self.accessors(obj):
                self.add_candidate(
                    accessor, Candidate(f"{owner}.{attr}", owner, owner in preferred)
                )

    def accessors(self, cls: type) -> Iterator[tuple[str, type]]:
        for attr, raw, _ in self.members(cls):
            target = accessor_class(raw)
            if target is not None:
                yield attr, target

    # phase 4: emit -------------------------------------------------------------------------

    def emit_all(self) -> None:
        for name, module in sorted(self.modules.items()):
            self.writer.symbol(name, "module", own_doc(module), module=name, aliases=[])
        order = sorted((name, key) for key, name in self.canonical.items())
        # A member never shadows an object named the same (pandas.Series.str is the
        # StringMethods class, not just the accessor attribute of Series).
        self.object_names = {name for name, _ in order}
        self.emitted_classes = {key for _, key in order if inspect.isclass(self.objects[key])}
        self.plan_inheritance()
        for name, key in order:
            try:
                with Deadline(self.module_timeout):
                    self.emit_object(name, self.objects[key], key)
            except ModuleTimeout:
                self.writer.problem("module_timeout", name, "emitting took too long")
            except Exception as exc:  # noqa: BLE001 - library code ran (descriptors, __signature__)
                self.writer.problem("emit_error", name, _describe(exc))

    def emit_object(self, name: str, obj: Any, key: int) -> None:
        aliases = sorted({c.path for c in self.candidates[key]} - {name})
        kind = (
            "class" if inspect.isclass(obj) else "function" if inspect.isroutine(obj) else "object"
        )
        doc, doc_from = self.class_doc(obj) if kind == "class" else (own_doc(obj), "")
        self.writer.symbol(
            name,
            kind,
            doc,
            doc_from=doc_from,
            module=home_module(obj) or name.rsplit(".", 1)[0],
            signature=self.signature(obj, name),
            aliases=aliases[:20],
            owner="",
            defined_in="",
            bases=self.base_names(obj),
        )
        if inspect.isclass(obj):
            self.emit_members(name, obj)

    def plan_inheritance(self) -> None:
        users: dict[int, set[int]] = {}
        attrs: dict[int, set[str]] = {}
        for key in sorted(self.emitted_classes, key=lambda k: _name_key(self.canonical[k])):
            for attr, raw, definer in self.members(self.objects[key]):
                self.holders.setdefault((attr, id(raw)), key)
                if definer is not self.objects[key]:
                    users.setdefault(id(definer), set()).add(key)
                    attrs.setdefault(id(definer), set()).add(attr)
        self.bulk_bases = {d for d in users if len(users[d]) * len(attrs[d]) > MAX_INHERITED_COPIES}

    def copied(self, cls: type, attr: str, raw: Any) -> bool:
        """A class-dict entry that is the very object another public class already shows
        is a copy, not documentation of its own (torch's legacy FloatTensor & co. copy
        the whole dict of torch.Tensor): it stays under the best-named holder only."""
        first = self.holders.get((attr, id(raw)))
        return first is not None and not _is_subclass(self.objects[first], cls)

    def inherits_here(self, cls: type, definer: type) -> bool:
        """Members of a base shared by few classes are repeated under each of them
        (pandas.DataFrame.where from NDFrame, MinMaxScaler.fit_transform from
        TransformerMixin); members of a framework base shared by hundreds
        (torch.nn.Module, matplotlib Artist) are named only under the topmost public
        class that has them (torch.Tensor.sum, not every Tensor subclass's sum)."""
        if definer is cls or id(definer) not in self.bulk_bases:
            return True
        mro = _mro(cls)
        between = mro[1 : mro.index(definer) + 1] if definer in mro else mro[1:]
        return not any(id(base) in self.emitted_classes for base in between)

    def class_doc(self, cls: type) -> tuple[str, str]:
        """A class without a docstring is documented by its nearest documented base of
        this library, as help() shows it (pandas' Series.dt class by DatetimeProperties)."""
        for base in _mro(cls):
            doc = own_doc(base) if root_of(home_module(base)) == self.library else ""
            if doc:
                return doc, "" if base is cls else _qualified(base)
        return "", ""

    def base_names(self, obj: Any) -> list[str]:
        """Canonical names of the public classes a class inherits from, nearest first."""
        if not inspect.isclass(obj):
            return []
        return [self.canonical[id(b)] for b in _mro(obj)[1:] if id(b) in self.canonical]

    def emit_members(self, owner: str, cls: type) -> None:
        members = self.members(cls)
        if len(members) > MAX_MEMBERS_PER_CLASS:
            self.writer.problem(
                "huge_class", owner, f"{len(members)} members, kept {MAX_MEMBERS_PER_CLASS}"
            )
        for attr, raw, definer in members[:MAX_MEMBERS_PER_CLASS] + self.extra_members(owner, cls):
            if definer is cls and self.copied(cls, attr, raw):
                continue
            if self.inherits_here(cls, definer):
                self.emit_member(owner, cls, attr, raw, definer)

    def members(self, cls: type) -> list[tuple[str, Any, type]]:
        """Public members found along the MRO without running descriptors, first definer wins."""
        cached = self._members.get(id(cls))
        if cached is None:
            cached = list(self.static_members(cls))
            self._members[id(cls)] = cached
        return cached

    def static_members(self, cls: type) -> Iterator[tuple[str, Any, type]]:
        seen: set[str] = set()
        for base in _mro(cls):
            if not self.documents_members(base):
                continue
            for attr, raw in sorted(_class_dict(base).items()):
                if attr not in seen and not attr.startswith("_"):
                    seen.add(attr)
                    yield attr, raw, base

    def documents_members(self, base: type) -> bool:
        if base in FOREIGN_BASES:
            return False
        return root_of(home_module(base)) in (self.library, "builtins")

    def extra_members(self, owner: str, cls: type) -> list[tuple[str, Any, type]]:
        """Members of EXTRA_MEMBER_SOURCES classes that ``cls`` lacks, as if inherited."""
        have = {attr for attr, _, _ in self.members(cls)}
        extra: list[tuple[str, Any, type]] = []
        for path in EXTRA_MEMBER_SOURCES.get(owner, ()):
            module, _, attr = path.rpartition(".")
            source = getattr(sys.modules.get(module), attr, None)
            if not inspect.isclass(source):
                self.writer.problem("missing_member_source", owner, path)
                continue
            extra += [m for m in self.members(source) if m[0] not in have and m[2] not in _mro(cls)]
        return extra

    def emit_member(self, owner: str, cls: type, attr: str, raw: Any, definer: type) -> None:
        name = f"{owner}.{attr}"
        if name in self.object_names:
            return
        defined_in = "" if definer is cls else _qualified(definer)
        kind, target = member_kind(raw)
        if kind == "":
            return
        if kind == "accessor":
            doc = own_doc(target)
        else:
            doc = own_doc(target) or self.inherited_doc(cls, attr)
        signature = (
            self.signature(target, name, drop_self=kind == "method") if kind == "method" else ""
        )
        self.writer.symbol(
            name,
            kind,
            doc,
            module=home_module(definer),
            signature=signature,
            aliases=[],
            owner=owner,
            defined_in=defined_in,
        )

    def inherited_doc(self, cls: type, attr: str) -> str:
        """An override without a docstring documents itself by its base's (as help() does)."""
        for base in _mro(cls)[1:]:
            raw = _class_dict(base).get(attr)
            if raw is not None:
                doc = own_doc(member_kind(raw)[1])
                if doc:
                    return doc
        return ""

    def signature(self, obj: Any, name: str, drop_self: bool = False) -> str:
        try:
            sig = inspect.signature(obj)
        except (ValueError, TypeError):
            return ""  # C functions without text signatures: the docstring's first line has it
        except ModuleTimeout:
            raise
        except Exception as exc:  # noqa: BLE001 - signature() runs library code (__signature__, wrappers)
            self.writer.problem("signature_error", name, _describe(exc))
            return ""
        params = list(sig.parameters.values())
        if drop_self and params and params[0].name in ("self", "cls"):
            # A signature that was invalid to begin with stays whole.
            with contextlib.suppress(ValueError):
                sig = sig.replace(parameters=params[1:])
        return _PROCESS.sub("/proc/self/", _ADDRESS.sub("", str(sig)))[:MAX_SIGNATURE_CHARS]


def member_kind(raw: Any) -> tuple[str, Any]:
    """What a raw class-dict entry is, and the object carrying its doc and signature."""
    target = accessor_class(raw)
    if target is not None:
        return "accessor", target
    if isinstance(raw, (classmethod, staticmethod)):
        return "method", raw.__func__
    if inspect.isroutine(raw):
        return "method", raw
    if (
        isinstance(raw, property)
        or inspect.isdatadescriptor(raw)
        or inspect.ismethoddescriptor(raw)
    ):
        return "property", raw
    if hasattr(type(raw), "__get__") and own_doc(raw) and own_doc(raw) != own_doc(type(raw)):
        return "property", raw  # cached_property-like descriptors without __set__
    return "", None


def _name_key(name: str) -> tuple[int, int, str]:
    return (name.count("."), len(name), name)


def _is_subclass(cls: type, base: type) -> bool:
    try:
        return issubclass(cls, base)
    except TypeError:  # ABCs with a broken __subclasscheck__
        return False


def accessor_class(raw: Any) -> type | None:
    """The namespace class behind a pandas-style accessor descriptor (``Series.str``)."""
    if inspect.isclass(raw) or inspect.isfunction(raw):
        return None
    try:
        target = getattr(raw, "_accessor", None)
    except Exception:  # noqa: BLE001 - a descriptor's own __getattr__ may raise anything
        return None
    return target if inspect.isclass(target) else None


def _mro(cls: type) -> tuple[type, ...]:
    try:
        return tuple(inspect.getmro(cls))
    except Exception:  # noqa: BLE001 - metaclasses can make __mro__ raise
        return (cls,)


def _class_dict(cls: type) -> dict[str, Any]:
    try:
        return dict(vars(cls))
    except TypeError:
        return {}


def _qualified(cls: type) -> str:
    return f"{home_module(cls)}.{dunder(cls, '__qualname__', '?')}"


# --- driver ------------------------------------------------------------------------------


def library_version(module: types.ModuleType) -> str:
    version = dunder(module, "__version__", "")
    return version if isinstance(version, str) else str(version)


def harvest_library(
    library: str, writer: Writer, module_timeout: float, skip: tuple[str, ...]
) -> None:
    started = time.monotonic()
    walker = Walker(library, writer, module_timeout, skip)
    root = walker.import_module(library)
    if root is None:
        writer.emit({"t": "done", "library": library, "modules": 0, "symbols": 0, "seconds": 0.0})
        return
    writer.emit(
        {
            "t": "library",
            "library": library,
            "version": library_version(root),
            "file": str(dunder(root, "__file__", "")),
        }
    )
    before = writer.symbols
    walker.discover(root)
    walker.collect()
    walker.resolve()
    walker.emit_all()
    seconds = round(time.monotonic() - started, 2)
    writer.emit(
        {
            "t": "done",
            "library": library,
            "modules": len(walker.modules),
            "symbols": writer.symbols - before,
            "seconds": seconds,
        }
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Print the public API of installed libraries as JSON lines."
    )
    parser.add_argument("libraries", nargs="+", help="import names, e.g. numpy pandas sklearn")
    parser.add_argument(
        "--module-timeout", type=float, default=30.0, help="seconds per module (import or walk)"
    )
    parser.add_argument(
        "--skip", action="append", default=[], help="module (and submodules) not to import"
    )
    parser.add_argument(
        "--path", action="append", default=[], help="directory to put first on sys.path"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sys.argv = sys.argv[:1]  # modules that parse argv at import must not see ours
    sys.path[:0] = args.path  # the child runs isolated (-I): no PYTHONPATH, no script dir
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _on_alarm)
    writer = Writer(isolate_stdio())
    for library in args.libraries:
        harvest_library(library, writer, args.module_timeout, tuple(args.skip))
    writer.stream.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
