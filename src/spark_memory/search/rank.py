"""After fusion: one result per API, lessons weighed by trust, the task's object first.

- ``collapse``: the pages of one API (an inherited method documented under every
  subclass, its reference and its example) become one result, shown under its public
  name (``symbols.display_name``), as a method of the class the task works on where it
  has one (``Series.tolist``, not ``Index.tolist``, for a column), scored by its best
  page. Two names of one class with one documentation (``agg = aggregate``) are one
  API too.
- ``weigh_trust``: a lesson's fused score times ``0.75 + 0.5 * lower bound``: refuted
  lessons sink, endorsed ones rise a little. Trust never makes a lesson a candidate;
  only its match to the query does (``fusion.Floors``).
- ``object_focus``: a method of the object the query is about (DataFrame, Series,
  GroupBy, ndarray, Tensor) goes before the same-scored method of another class.
- ``raise_named``: before the fused list is cut, the pages of an API the query's prose
  spells out (``named``: "I used tz_localize ...") score 1.6 times theirs; a name in the
  query is the sharpest cue it has, yet one of many words to BM25 and the embedder.
- ``at_least``: the likeliest pages of a name the prose spells score at least just
  below the fused list's ``NAMED_RANK``-th result, entering it when no channel found
  them: ahead of what the channels only half agree on, behind what they agree on.
- ``used``: how much the guides' own code backs a result. An API page scores
  ``1 + 0.2 * log(1 + n) / log(501)`` times its own, ``n`` the documentation sections
  whose code or links use the API (``SymbolNames.uses``): 1.02x for one, 1.1x for
  twenty, 1.2x for five hundred; a section, which is that code, 1.2x. A prior from
  independent code, never an evaluation's answers; it orders candidates that search
  found by their match to the query and adds none.
- ``one_per_method``: plain search's last step; of one method name under many classes
  of a library, the best result and the ``MAIN_CLASSES`` twins stay; of a function and
  its variants (``numpy.ma.sum``), the library's own function, in the best one's place.
- ``deprecated``: an API its own page marks deprecated (a ``.. deprecated::`` line,
  "[*Deprecated*]") scores half: an agent should be shown what replaced it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from spark_memory.api_names import function_key, is_variant, method_key, owner_class
from spark_memory.models import API_KINDS, ChannelScore, DocType, Insight, SearchHit
from spark_memory.search import symbols

NAMED_BONUS = 0.6
NAMED_RANK = 5
TRUST_BASE = 0.75
TRUST_SPAN = 0.5
OBJECT_BONUS = 0.15
# Words that name the object a task is about -> the class names that stand for it.
OBJECT_WORDS: dict[str, tuple[str, ...]] = {
    "dataframe": ("DataFrame",),
    "dataframes": ("DataFrame",),
    "df": ("DataFrame",),
    "series": ("Series",),
    "column": ("Series",),
    "groupby": ("GroupBy",),
    "group": ("GroupBy",),
    "groups": ("GroupBy",),
    "array": ("ndarray",),
    "arrays": ("ndarray",),
    "ndarray": ("ndarray",),
    "tensor": ("Tensor",),
    "tensors": ("Tensor",),
    "index": ("Index",),
}
_WORD = re.compile(r"[A-Za-z]+")
# The classes tasks work on: their methods stay beside each other (DataFrame.x, Series.x).
MAIN_CLASSES = frozenset({"DataFrame", "Series", "ndarray", "Tensor"})
USE_PRIOR = 0.2
USE_SCALE = math.log1p(500)
DEPRECATED_FACTOR = 0.5
_DEPRECATED = re.compile(r"^\.\. deprecated::|^\[\*Deprecated\*\]|^DEPRECATED:", re.M)


def focus_objects(text: str) -> frozenset[str]:
    """Class names the text is about, from its words."""
    words = {w.lower() for w in _WORD.findall(text)}
    return frozenset(c for w in words for c in OBJECT_WORDS.get(w, ()))


def owner_matches(symbol: str, objects: frozenset[str]) -> bool:
    owner = owner_class(symbol)
    return bool(owner) and any(owner.endswith(o) for o in objects)


Fused = list[tuple[str, float, dict[str, ChannelScore]]]


def raise_named(fused: Fused, named: frozenset[str]) -> Fused:
    """The fused list with the pages in ``named`` (snippet ids) raised, best first."""
    if not named:
        return fused
    raised = [
        (i, score * (1.0 + NAMED_BONUS), {**why, "named": ChannelScore(score=NAMED_BONUS)})
        if i in named
        else (i, score, why)
        for i, score, why in fused
    ]
    return sorted(raised, key=lambda entry: -entry[1])


def at_least(fused: Fused, pages: Sequence[str]) -> Fused:
    """The fused list with each of ``pages`` scored at least just below its
    NAMED_RANK-th result, and entered there when absent."""
    if not pages or not fused:
        return fused
    floor = fused[min(NAMED_RANK, len(fused)) - 1][1] * 0.999
    wanted = set(pages)
    kept = [(i, max(s, floor) if i in wanted else s, why) for i, s, why in fused]
    absent = wanted - {i for i, _, _ in fused}
    entered = [(i, floor, {"named": ChannelScore(score=NAMED_BONUS)}) for i in pages if i in absent]
    return sorted([*kept, *entered], key=lambda entry: -entry[1])


def weigh_trust(hit: SearchHit, insight: Insight) -> SearchHit:
    bound = insight.trust.lower_bound()
    channels = {**hit.channels, "trust": ChannelScore(score=round(bound, 4))}
    score = hit.score * (TRUST_BASE + TRUST_SPAN * bound)
    return hit.model_copy(update={"score": score, "channels": channels})


def collapse(
    hits: Sequence[SearchHit], query: str = "", uses: Mapping[str, int] | None = None
) -> list[SearchHit]:
    """One hit per API (its best page, under its public name), best first; ``uses``:
    sections using each API (see ``used``)."""
    objects = focus_objects(query)
    keyed: list[tuple[str, SearchHit]] = []
    same = _Same()
    bodies: dict[str, str] = {}  # one documentation under two names of a class: one API
    uses = uses or {}
    for hit in hits:
        prior = used(hit, uses)
        factor = prior * (DEPRECATED_FACTOR if deprecated(hit) else 1.0)
        update: dict[str, object] = {}
        if factor != 1.0:
            update["score"] = hit.score * factor
        if prior != 1.0:  # shown by --explain, as the named boost is
            update["channels"] = {**hit.channels, "used": ChannelScore(score=round(prior, 3))}
        if update:
            hit = hit.model_copy(update=update)
        key = _identity(hit)
        body = symbols.body_key(hit.symbol, hit.kind, hit.text)
        if body:
            same.join(bodies.setdefault(body, key), key)
        keyed.append((key, hit))
    groups: dict[str, list[SearchHit]] = {}
    keys: dict[str, set[str]] = {}
    for key, hit in keyed:
        groups.setdefault(same.root(key), []).append(hit)
        keys.setdefault(same.root(key), set()).add(key)
    out = []
    for root, members in groups.items():
        best = max(members, key=lambda h: h.score)
        score = best.score
        if objects and any(owner_matches(h.symbol, objects) for h in members):
            score *= 1.0 + OBJECT_BONUS
        out.append(_shown(best, members, score, objects, keys[root]))
    return sorted(out, key=lambda h: -h.score)


def one_per_method(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """``hits`` without a class's method whose name a better hit of the same library
    already has, unless its class is one a task works on (``MAIN_CLASSES``): past
    ``DataFrame.shift`` and ``Series.shift``, ``Categorical.shift``, ``PeriodIndex.shift``
    and ``IntervalArray.shift`` are the same answer again, not the next one. Of a
    function and its variants (``numpy.sum``, ``numpy.ma.sum``: ``api_names.is_variant``)
    one result stays, in the best one's place: the library's own function when it was
    found at all."""
    kept: list[SearchHit] = []
    named: set[tuple[str, str]] = set()
    functions = _Functions(kept)
    for hit in hits:
        if _is_api(hit) and not functions.keep(hit):
            continue
        name = method_key(hit.symbol) if _is_api(hit) else ""
        if name:
            key = (hit.library, name)
            if key in named and owner_class(hit.symbol) not in MAIN_CLASSES:
                continue
            named.add(key)
        kept.append(hit)
    return kept


class _Functions:
    """Which of a function's variants ``one_per_method`` keeps, and where."""

    def __init__(self, kept: list[SearchHit]) -> None:
        self.kept = kept
        self.main: set[tuple[str, str]] = set()
        self.variant_at: dict[tuple[str, str], int] = {}

    def keep(self, hit: SearchHit) -> bool:
        """False when ``hit`` is a function's repeat: dropped, or moved into the place
        of a variant kept before it."""
        key = function_key(hit.symbol)
        if key is None:
            return True
        if is_variant(hit.symbol):
            if key in self.main or key in self.variant_at:
                return False
            self.variant_at[key] = len(self.kept)
            return True
        if key in self.variant_at and key not in self.main:
            at = self.variant_at[key]
            self.kept[at] = hit.model_copy(update={"score": self.kept[at].score})
            self.main.add(key)
            return False
        self.main.add(key)
        return True


class _Same:
    """Which API keys stand for one API (union-find over a result list)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, key: str) -> str:
        while (up := self.parent.get(key, key)) != key:
            key = up
        return key

    def join(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[rb] = ra


def used(hit: SearchHit, uses: Mapping[str, int]) -> float:
    """The factor of ``hit`` from the guides' use of it (see ``used`` above); none
    before the symbol index knows that use."""
    if not uses:
        return 1.0
    if hit.doc_type is DocType.SNIPPET and symbols.is_section(hit.symbol, hit.kind):
        return 1.0 + USE_PRIOR  # the guides' code itself
    n = uses.get(hit.symbol, 0) if _is_api(hit) else 0
    return 1.0 + USE_PRIOR * math.log1p(n) / USE_SCALE if n else 1.0


def deprecated(hit: SearchHit) -> bool:
    """An API page that marks the API itself deprecated (not one of its parameters:
    those notes sit inside a ``- name : type:`` line)."""
    return hit.kind in API_KINDS and bool(_DEPRECATED.search(hit.text))


def _is_api(hit: SearchHit) -> bool:
    return hit.kind in API_KINDS and not symbols.is_section(hit.symbol, hit.kind)


def _identity(hit: SearchHit) -> str:
    if hit.doc_type is DocType.INSIGHT:
        return hit.id
    return symbols.identity(hit.symbol, hit.kind, hit.text, hit.id)


def _shown(
    best: SearchHit,
    members: Sequence[SearchHit],
    score: float,
    objects: frozenset[str],
    keys: set[str],
) -> SearchHit:
    if best.doc_type is DocType.INSIGHT or not _is_api(best):
        return best.model_copy(update={"score": score})
    # the API's own name (``keys``: numpy.ndarray.mean for the numpy.memmap.mean page that
    # inherits it) is a name of the result even when its page is not among the hits; a
    # private member's key ("pandas:GroupBy.sum", ``symbols.identity``) is no name
    names = [n for h in members for n in (h.symbol, *symbols.aliases(h.text))]
    names += sorted(k for k in keys if ":" not in k)
    # one documentation under several classes: shown as the method of the class the
    # task works on (Series.tolist for a column, not Index.tolist)
    public = symbols.display_name(names, (objects, MAIN_CLASSES))
    # the reference page, not its example, carries the signature and parameters
    page = min(members, key=lambda h: (h.kind != "api", h.symbol != public, -h.score))
    return page.model_copy(update={"score": score, "symbol": public or page.symbol})
