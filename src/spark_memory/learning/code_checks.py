"""Unsafe calls in code an insight advises running, found on the syntax tree.

A syntax tree tells ``eval("1 + 1")`` from ``eval(user_text)`` and
``subprocess.run(["ls"])`` from ``subprocess.run(cmd, shell=True)``, which no regular
expression over the text can. Code that does not parse (fragments, shell, other
languages) is checked line by line with :data:`LINE_RULES` instead.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from spark_memory.learning import pyparse


@dataclass(frozen=True)
class CodeFinding:
    code: str  # rule name, e.g. "tls-verification-off"
    reason: str
    line: int  # 1-based within the checked code
    excerpt: str


# Names whose presence in an argument says the data came from outside the program.
_UNTRUSTED = re.compile(
    r"request|urlopen|urllib|url|http|socket|recv|input\(|upload|download|response|resp\b"
    r"|\.content|untrusted|user|payload|body|form|params|argv|stdin",
    re.IGNORECASE,
)
_SHELL_CALLS = {
    "run",
    "call",
    "Popen",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
}
_DESERIALISERS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("cPickle", "load"),
    ("cPickle", "loads"),
    ("dill", "load"),
    ("dill", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("joblib", "load"),
    ("pd", "read_pickle"),
    ("pandas", "read_pickle"),
    ("torch", "load"),
    ("shelve", "open"),
}

# Line rules for code that does not parse and for shell commands.
LINE_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "remote-script-piped-to-shell",
        "pipes a downloaded script straight into a shell",
        re.compile(
            r"\b(?:curl|wget|iwr|invoke-webrequest|fetch)\b[^|\n]{0,300}\|\s*(?:sudo\s+)?"
            r"(?:ba|z|k|da|fi)?sh\b|\b(?:curl|wget)\b[^|\n]{0,300}\|\s*(?:sudo\s+)?python"
            r"|\biex\s*\(\s*(?:iwr|invoke-webrequest|new-object\s+net\.webclient)",
            re.IGNORECASE,
        ),
    ),
    (
        "tls-verification-off",
        "turns off TLS certificate verification",
        re.compile(
            r"verify\s*=\s*false|_create_unverified_context|cert_none|check_hostname\s*=\s*false"
            r"|--no-check-certificate|\bcurl\b[^\n]*\s(?:-k|--insecure)\b|pythonhttpsverify\s*=\s*0"
            r"|node_tls_reject_unauthorized\s*=\s*['\"]?0|http\.sslverify\s+false"
            r"|strict-ssl\s+false|--trusted-host|ssl_verify\s*[:=]\s*false|verify_ssl\s*=\s*false",
            re.IGNORECASE,
        ),
    ),
    (
        "eval-of-input",
        "evaluates text that is not a literal as code",
        re.compile(
            r"\b(?:eval|exec)\s*\(\s*(?!['\"]|\)|compile\(\s*['\"])(?:[^)]*\b(?:input|request|argv"
            r"|user|data|payload|params|query|body|form|text|line|msg|message|expr|cmd|command"
            r"|string|str|s|x|code)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "shell-with-input",
        "runs a shell command built from variable input",
        re.compile(
            r"shell\s*=\s*true[^\n]*|os\.(?:system|popen)\s*\(\s*(?:f['\"]|[a-z_][\w.]*\s*[,)+%]"
            r"|['\"][^'\"]*['\"]\s*(?:\+|%|\.format))",
            re.IGNORECASE,
        ),
    ),
    (
        "unsafe-yaml-load",
        "loads YAML with a loader that can build arbitrary objects",
        re.compile(
            r"yaml\.unsafe_load|yaml\.load\((?![^)]*safe)[^)]*\)|yaml\.load\([^)]*Loader\s*=\s*"
            r"(?:yaml\.)?(?:Unsafe|Full)?Loader\b",
        ),
    ),
    (
        "world-writable",
        "makes files writable by every user",
        re.compile(r"chmod\s+(?:-R\s+)?0?777\b|\brm\s+-rf\s+(?:/|~)(?:\s|$)"),
    ),
)


def check_code(code: str) -> list[CodeFinding]:
    """Unsafe calls in ``code``: on its syntax tree if it parses, else line by line."""
    tree = pyparse.parse(code)
    if tree is None:
        return check_lines(code)
    try:
        return list(_tree_findings(tree, code)) + _shell_lines(code)
    except RecursionError:  # a tree too deep to walk is read as text
        return check_lines(code)


def check_lines(code: str) -> list[CodeFinding]:
    found = []
    for number, line in enumerate(code.splitlines(), 1):
        for name, reason, pattern in LINE_RULES:
            if name == "shell-with-input" and not _variable_command(line):
                continue
            if pattern.search(line):
                found.append(CodeFinding(name, reason, number, line.strip()[:200]))
    return found


def _variable_command(line: str) -> bool:
    # shell=True is only dangerous when the command is built from something variable.
    if re.search(r"os\.(system|popen)", line):
        return True
    command = re.search(r"\(\s*(.*?)\s*,\s*shell\s*=", line)
    return command is None or not re.fullmatch(r"['\"][^'\"{}]*['\"]", command[1])


def _shell_lines(code: str) -> list[CodeFinding]:
    # Shell commands quoted inside Python (os.system("curl ... | sh")) still count.
    return [
        f for f in check_lines(code) if f.code in {"remote-script-piped-to-shell", "world-writable"}
    ]


def _tree_findings(tree: ast.AST, code: str) -> Iterator[CodeFinding]:
    lines = code.splitlines()
    tainted = _tainted_names(tree, lines)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from _call_findings(node, lines, tainted)
        elif isinstance(node, ast.Assign | ast.Attribute):
            yield from _tls_attribute(node, lines)


def _tainted_names(tree: ast.AST, lines: list[str]) -> set[str]:
    """Names bound to data from outside the program (a download, a request, input())."""
    tainted: set[str] = set()
    for node in ast.walk(tree):
        value = pyparse.source_of(node.value, lines) if isinstance(node, ast.Assign) else ""
        if isinstance(node, ast.Assign) and _UNTRUSTED.search(value):
            tainted.update(
                n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)
            )
        elif isinstance(node, ast.arg) and _UNTRUSTED.search(node.arg):
            tainted.add(node.arg)
    return tainted


def _call_findings(call: ast.Call, lines: list[str], tainted: set[str]) -> Iterator[CodeFinding]:
    owner, name = _callee(call.func)
    line = _line(call, lines)
    if name in {"eval", "exec"} and owner == "" and call.args and not _literal(call.args[0]):
        yield CodeFinding("eval-of-input", "evaluates text that is not a literal as code", *line)
    if _keyword_is(call, "verify", False) or _keyword_is(call, "verify_ssl", False):
        yield CodeFinding("tls-verification-off", "turns off TLS certificate verification", *line)
    if _shell_call(owner, name, call):
        reason = "runs a shell command built from variable input"
        yield CodeFinding("shell-with-input", reason, *line)
    if (owner, name) in _DESERIALISERS and _untrusted_argument(call, lines, tainted):
        reason = f"{owner}.{name} on data from outside the program can run arbitrary code"
        yield CodeFinding("untrusted-deserialisation", reason, *line)
    if owner == "yaml" and (
        name == "unsafe_load" or (name == "load" and not _safe_loader(call, lines))
    ):
        reason = "loads YAML with a loader that can build arbitrary objects"
        yield CodeFinding("unsafe-yaml-load", reason, *line)


def _shell_call(owner: str, name: str, call: ast.Call) -> bool:
    if owner == "os" and name in {"system", "popen"}:
        return bool(call.args) and not _literal(call.args[0])
    if owner == "subprocess" and name in _SHELL_CALLS and _keyword_is(call, "shell", True):
        return not call.args or not _literal(call.args[0])
    return False


def _tls_attribute(node: ast.AST, lines: list[str]) -> Iterator[CodeFinding]:
    reason = "turns off TLS certificate verification"
    unverified = {"_create_unverified_context", "CERT_NONE"}
    if isinstance(node, ast.Attribute) and node.attr in unverified:
        yield CodeFinding("tls-verification-off", reason, *_line(node, lines))
    if isinstance(node, ast.Assign) and _constant_is(node.value, False):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr in {"check_hostname", "verify"}:
                yield CodeFinding("tls-verification-off", reason, *_line(node, lines))


def _callee(func: ast.expr) -> tuple[str, str]:
    """(owner, name) of a call: ``os.system`` -> ("os", "system"), ``eval`` -> ("", "eval")."""
    if isinstance(func, ast.Name):
        return "", func.id
    if not isinstance(func, ast.Attribute):
        return "", ""
    base = func.value
    if isinstance(base, ast.Name):
        return base.id, func.attr
    if isinstance(base, ast.Attribute):
        return base.attr, func.attr
    if isinstance(base, ast.Call) and _callee(base.func) == ("", "__import__") and base.args:
        module = base.args[0]  # __import__("os").system(...)
        if isinstance(module, ast.Constant) and isinstance(module.value, str):
            return module.value, func.attr
    return "", func.attr


def _literal(node: ast.expr) -> bool:
    """A constant, or a list/tuple of constants (an argv list is safe without a shell)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.List | ast.Tuple):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    return False


def _keyword_is(call: ast.Call, name: str, value: bool) -> bool:
    return any(k.arg == name and _constant_is(k.value, value) for k in call.keywords)


def _constant_is(node: ast.expr, value: bool) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _safe_loader(call: ast.Call, lines: list[str]) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "Loader":
            return "Safe" in pyparse.source_of(keyword.value, lines)
    return len(call.args) > 1 and "Safe" in pyparse.source_of(call.args[1], lines)


def _untrusted_argument(call: ast.Call, lines: list[str], tainted: set[str]) -> bool:
    if _keyword_is(call, "weights_only", True):
        return False
    for arg in call.args:
        if _UNTRUSTED.search(pyparse.source_of(arg, lines)):
            return True
        if any(isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(arg)):
            return True
    return False


def _line(node: ast.AST, lines: list[str]) -> tuple[int, str]:
    number = getattr(node, "lineno", 1)
    text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return number, text[:200]
