"""Error signatures: the same failure gives the same string, different failures do not."""

from __future__ import annotations

import pytest

from spark_memory.signatures import MAX_SIGNATURE_CHARS, error_type, normalise_error

TRACEBACK = """\
Traceback (most recent call last):
  File "/home/ada/project/clean.py", line 12, in <module>
    df = df.append(row)
  File "/usr/lib/python3.11/site-packages/pandas/core/generic.py", line 5989, in __getattr__
    return object.__getattribute__(self, name)
AttributeError: 'DataFrame' object has no attribute 'append'
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TRACEBACK, "AttributeError: 'DataFrame' object has no attribute 'append'"),
        ("KeyError: 'col_a'", "KeyError: <value>"),
        ("KeyError: 3", "KeyError: <value>"),
        (
            "ValueError: could not convert string to float: 'abc def'",
            "ValueError: could not convert string to float: <str>",
        ),
        (
            "IndexError: index 10 is out of bounds for axis 0 with size 5",
            "IndexError: index <num> is out of bounds for axis <num> with size <num>",
        ),
        (
            "ValueError: operands could not be broadcast together with shapes (3,4) (5,)",
            "ValueError: operands could not be broadcast together with shapes <shape> <shape>",
        ),
        (
            "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x128 and 256x10)",
            "RuntimeError: mat1 and mat2 shapes cannot be multiplied (<shape> and <shape>)",
        ),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: '/tmp/data/x.csv'",
            "FileNotFoundError: [Errno <num>] No such file or directory: <str>",
        ),
        (
            "TypeError: f() takes 2 positional arguments but 3 were given",
            "TypeError: f() takes <num> positional arguments but <num> were given",
        ),
        (
            "pandas.errors.MergeError: No common columns to perform merge on.",
            "MergeError: No common columns to perform merge on.",
        ),
        ("object at 0x7f3a2b1c is broken", "object at <addr> is broken"),
        ("StopIteration", "StopIteration"),
        ("", ""),
        ("   \n  ", ""),
    ],
)
def test_normalise_error(text: str, expected: str) -> None:
    assert normalise_error(text) == expected


def test_runs_that_differ_only_in_values_share_a_signature() -> None:
    a = normalise_error("IndexError: index 7 is out of bounds for axis 1 with size 3")
    b = normalise_error("IndexError: index 12 is out of bounds for axis 0 with size 11")
    assert a == b


def test_different_attributes_keep_different_signatures() -> None:
    append = normalise_error("AttributeError: 'DataFrame' object has no attribute 'append'")
    ix = normalise_error("AttributeError: 'DataFrame' object has no attribute 'ix'")
    assert append != ix


def test_signature_is_bounded() -> None:
    assert len(normalise_error("ValueError: " + "word " * 500)) == MAX_SIGNATURE_CHARS


def test_error_type_drops_the_module() -> None:
    assert error_type(TRACEBACK) == "AttributeError"
    assert error_type("tensorflow.python.framework.errors_impl.InvalidArgumentError: x") == (
        "InvalidArgumentError"
    )
    assert error_type("it did not work") == ""
