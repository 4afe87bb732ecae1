"""Where guides come from: a folder, an installed Debian doc package, a git repository.

A source is named by a string, as on the command line:

- ``PATH``: a folder (``numpy-1.26.4/`` names its library and version by itself);
- ``debian:python-pandas-doc``: the package's tree under ``/usr/share/doc``, its version
  from dpkg (``1.5.3+dfsg-2`` is pandas 1.5.3);
- ``git+URL@TAG`` (``URL`` may be a local path): a shallow clone of that tag, made in
  a temporary folder and removed afterwards; the version is the tag without its ``v``.

``known_sources`` lists the sources of this machine ``spark kb ingest --guides known``
picks up: the DS-1000 libraries' Debian doc packages that are installed, and the
``<library>-<version>`` folders in the configured guide folders.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from spark_memory.errors import InvalidInput

__all__ = ["DEBIAN_DOCS", "GuideSource", "checkout", "known_sources", "parse_source"]

DEBIAN_ROOT = Path("/usr/share/doc")
# Debian doc package -> (library, the published site its pages cite)
DEBIAN_DOCS: dict[str, tuple[str, str]] = {
    "python-pandas-doc": ("pandas", "https://pandas.pydata.org/pandas-docs/version/{version}"),
    "python-scipy-doc": ("scipy", "https://docs.scipy.org/doc/scipy-{version}"),
    "python-sklearn-doc": ("sklearn", "https://scikit-learn.org/{minor}"),
    "python-numpy-doc": ("numpy", "https://numpy.org/doc/{minor}"),
    "python-matplotlib-doc": ("matplotlib", "https://matplotlib.org/{version}"),
}
_LIBRARY_DIR = re.compile(r"^([a-z][a-z0-9_]*)-(\d[\w.+-]*)$")
_GIT = re.compile(r"^git\+(?P<url>.+)@(?P<tag>[\w.+-]+)$")


@dataclass(frozen=True)
class GuideSource:
    spec: str  # as given: PATH, debian:NAME or git+URL@TAG
    kind: str  # "dir", "debian" or "git"
    location: str  # folder, package name or repository URL
    library: str = ""
    version: str = ""
    tag: str = ""
    base_url: str = ""  # published site, when known: sources become citable URLs


def parse_source(spec: str, *, library: str = "", version: str = "") -> GuideSource:
    """A source from its name; ``library``/``version`` override what it implies."""
    spec = spec.strip()
    if spec.startswith("debian:"):
        source = _debian(spec[len("debian:") :])
    elif (git := _GIT.match(spec)) is not None:
        tag = git["tag"]
        source = GuideSource(spec, "git", git["url"], version=tag.removeprefix("v"), tag=tag)
    else:
        path = Path(spec).expanduser()
        if not path.is_dir():
            raise InvalidInput(
                f"no such folder: {spec} (a guide source is a folder, debian:PACKAGE "
                "or git+URL@TAG)"
            )
        named = _LIBRARY_DIR.match(path.resolve().name)
        source = GuideSource(
            spec,
            "dir",
            str(path),
            library=named.group(1) if named else "",
            version=named.group(2) if named else "",
        )
    source = replace(source, library=library or source.library, version=version or source.version)
    if not source.library:
        raise InvalidInput(f"say which library {spec} documents (--library)")
    return replace(source, base_url=_base_url(source))


def _debian(package: str) -> GuideSource:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", package):
        raise InvalidInput(f"not a Debian package name: {package!r}")
    root = DEBIAN_ROOT / package
    if not root.is_dir():
        raise InvalidInput(f"Debian package {package} is not installed (apt-get install {package})")
    library, _ = DEBIAN_DOCS.get(package, ("", ""))
    return GuideSource(
        f"debian:{package}", "debian", package, library=library, version=_dpkg_version(package)
    )


def _dpkg_version(package: str) -> str:
    """Upstream version of an installed package: ``1:1.5.3+dfsg-2`` -> ``1.5.3``."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    raw = done.stdout.strip() if done.returncode == 0 else ""
    return re.split(r"[+~-]", raw.split(":", 1)[-1], maxsplit=1)[0]


def _base_url(source: GuideSource) -> str:
    if source.kind != "debian" or source.location not in DEBIAN_DOCS or not source.version:
        return ""
    template = DEBIAN_DOCS[source.location][1]
    minor = ".".join(source.version.split(".")[:2])
    return template.format(version=source.version, minor=minor)


@contextmanager
def checkout(source: GuideSource) -> Iterator[Path]:
    """The folder to read; a git source is cloned for the duration of the block."""
    if source.kind == "dir":
        yield Path(source.location)
        return
    if source.kind == "debian":
        yield DEBIAN_ROOT / source.location
        return
    folder = Path(tempfile.mkdtemp(prefix="spark-guides-"))
    try:
        _clone(source.location, source.tag, folder / "repo")
        yield folder / "repo"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _clone(url: str, tag: str, into: Path) -> None:
    if Path(url).expanduser().is_dir():
        url = Path(url).expanduser().resolve().as_uri()  # file:// so --depth applies
    command = ["git", "clone", "--quiet", "--depth", "1", "--branch", tag, url, str(into)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise InvalidInput("git is not installed; a git+URL@TAG source needs it") from exc
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput(f"cloning {url} took longer than 15 minutes") from exc
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise InvalidInput(f"cannot clone {url} at {tag}: {reason}")


def known_sources(folders: Sequence[Path], libraries: Sequence[str] = ()) -> list[GuideSource]:
    """Guide sources present on this machine, of ``libraries`` (default: all known)."""
    wanted = set(libraries)
    found: dict[str, GuideSource] = {}
    for folder in folders:  # folders someone configured come before packages
        if not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            named = _LIBRARY_DIR.match(child.name)
            if child.is_dir() and named and (not wanted or named.group(1) in wanted):
                found.setdefault(named.group(1), parse_source(str(child)))
    for package, (library, _) in DEBIAN_DOCS.items():
        if (DEBIAN_ROOT / package).is_dir() and (not wanted or library in wanted):
            found.setdefault(library, parse_source(f"debian:{package}"))
    return [found[k] for k in sorted(found)]
