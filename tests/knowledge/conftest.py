"""Fixtures for the knowledge-base tests: a small fake library written to a temp dir
(introspected through a real child interpreter), real-looking doc trees, and the
pinned DS-1000 environment for the slow coverage measure."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_ENV = Path("/work/ds1000-env")
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ds1000"

# fakelib: every awkward thing a real library does, in a dozen lines each.
FAKELIB = {
    "__init__.py": '''
        """Fakelib: a tiny library for tests."""
        __version__ = "0.3.1"
        from fakelib.core import Base, Frame, add
        from fakelib._impl import hidden_helper as helper
        from fakelib import ops
        from fakelib.ops import cumsum

        total = add  # the same function under a second name
        __all__ = ["add", "Frame", "Base", "helper", "total", "cumsum", "ops"]
    ''',
    "_impl.py": '''
        def hidden_helper(x):
            """Help, from a private module, exported publicly."""
            return x
    ''',
    "core.py": '''
        def add(a, b=1):
            """
            Add two numbers.

            Parameters
            ----------
            a : int
                First operand.
            b : int, default 1
                Second operand.

            Returns
            -------
            int
                The sum.

            Notes
            -----
            Addition here is ordinary Python addition, so it follows the operand
            types: two integers give an integer, an integer and a float give a
            float, and two strings are concatenated rather than added. No overflow
            can happen for integers because Python integers have arbitrary
            precision; floats follow IEEE 754 and may round. This note is long on
            purpose: notes longer than a few sentences get a snippet of their own,
            so that the api snippet stays short enough to read at a glance and the
            details are still one search away for whoever needs them.

            Examples
            --------
            >>> add(1, 2)
            3
            >>> add(2)
            3
            >>> add(-1, 1)
            0
            >>> add(10, 20)
            30
            >>> add(100, 200)
            300
            >>> [add(i) for i in range(3)]
            [1, 2, 3]
            >>> add(0)
            1
            >>> add(1.5, 2.5)
            4.0
            >>> add("a", "b")
            'ab'
            >>> add(-5, -5)
            -10
            >>> sum(add(i, i) for i in range(4))
            12
            >>> add(2**64, 1)
            18446744073709551617

            Adding lists concatenates them, as ``+`` does:

            >>> add([1, 2], [3])
            [1, 2, 3]
            """
            return a + b


        class Base:
            """The base of frames."""

            def describe(self):
                """Describe the object."""
                return "base"

            @property
            def size(self):
                """Number of elements."""
                raise RuntimeError("never evaluated by the walker")


        class Frame(Base):
            """
            A two-dimensional table.

            Attributes
            ----------
            shape_ : tuple of int
                Rows and columns, set by fit.
            """

            def where(self, cond, other=None):
                """
                Replace values where the condition is False.

                Parameters
                ----------
                  orphan text that belongs to no parameter
                cond : bool
                """

            @classmethod
            def from_dict(cls, data, orient="columns"):
                """Build a Frame from a dict."""

            @staticmethod
            def version():
                """The format version."""
                return 1
    ''',
    "ops.py": '''
        class _UFuncLike:
            """The type of C-implemented operations."""

            @property
            def __signature__(self):
                raise ValueError("no signature found for builtin")

            def __call__(self, x, axis=0):
                return x


        cumsum = _UFuncLike()
        cumsum.__doc__ = "cumsum(x, /, axis=0)\\n\\nCumulative sum of the elements along an axis."
    ''',
    "broken.py": """
        raise ImportError("optional dependency fancylib is not installed")
    """,
    "prompt.py": """
        NAME = input("name? ")  # would block the harvest if stdin were a terminal
    """,
    "noisy.py": '''
        import os
        print("hello from an import that prints")
        os.write(1, b"raw bytes on fd 1\\n")

        def loud():
            """A function of a module that prints when imported."""
    ''',
    "slow.py": """
        import time
        time.sleep(30)
    """,
    "weird.py": '''
        __all__ = ["boom", "fine"]

        def fine():
            """Fine."""

        def __getattr__(name):
            raise RuntimeError(f"{name} explodes on access")
    ''',
    "tests/__init__.py": "",
    "tests/test_core.py": '''
        def test_never_collected():
            """Test modules are not documentation."""
    ''',
}


def write_package(root: Path, name: str, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def fakelib_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the ``fakelib`` package."""
    return write_package(tmp_path_factory.mktemp("site"), "fakelib", FAKELIB)


@pytest.fixture(scope="session")
def pinned_python() -> Path:
    env_dir = Path(os.environ.get("SPARK_EVAL_ENV") or DEFAULT_ENV)
    python = env_dir / "bin" / "python"
    if not python.is_file():
        pytest.skip(
            f"PINNED DS-1000 ENVIRONMENT NOT FOUND at {env_dir}: the knowledge-base coverage "
            "measure harvests its seven libraries; set SPARK_EVAL_ENV=DIR"
        )
    return python


@pytest.fixture(scope="session")
def api_targets() -> Path:
    path = Path(os.environ.get("SPARK_DS1000_DIR") or DEFAULT_DATA) / "api-targets-dev.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"DS-1000 API TARGETS NOT FOUND at {path}: set SPARK_DS1000_DIR")
    return path
