"""Claims: a published result stated so that a run of ours can check it.

A scenario declares its claims beside its parameters (``Scenario(..., claims=[...])``). Each
names the measure of ours it is compared with (a :class:`Ref`: the measure's name and
setting), the published value and its source, and how the two are compared:

* :meth:`Claim.value`: a published number, within a ``tolerance`` whose ``reason`` is given
  (the paper's own interval, a difference of data set or scale); a published range
  ``(low, high)`` is met by any value inside it, widened by the tolerance. A value claim may
  also state a direction (``above=`` or ``below=``, another measure or a number): when the
  number differs but the direction holds, the verdict is "direction only".
* :meth:`Claim.greater` and :meth:`Claim.ordered`: a direction or an order where no number
  transfers ("debate beats the judge alone", "the protocols in the paper's order").
* :meth:`Claim.finding`: a categorical finding of ours (``"yes"``) against the paper's.

:func:`check` turns a claim and a run's measures into a :class:`Verdict`: *reproduced*,
*differs* or *direction only* (see :data:`VERDICTS`), with ours, our interval and the reason
for any difference. A claim marked ``must_hold`` must be reproduced; the reproduction ledger
(:mod:`oversight_gym.runner.ledger`) fails when one is not. A claim marked ``quick`` can be
decided by a ``--quick`` run; the others need the scenario's reproduction settings.

>>> from oversight_gym.analysis.measures import Measure
>>> ms = [Measure("accuracy", 0.98, (0.96, 0.99), n=360, unit="%", setting={"debaters": "mcts"}),
...       Measure("accuracy", 0.49, (0.48, 0.50), n=360, unit="%", setting={"debaters": "none"})]
>>> c = Claim.value("debate", "debate's accuracy", "Irving et al. 2018, MNIST", 0.889,
...                 Ref("accuracy", debaters="mcts"), tolerance=0.03, reason="MNIST, not the 8x8 digits",
...                 above=Ref("accuracy", debaters="none"))
>>> v = check(c, ms)
>>> v.verdict, v.ours, v.tolerance
('direction only', '98.0% [96.0, 99.0]', '±3.0 points')
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from oversight_gym.analysis.measures import WIDTH, Measure, Published, _fit, _render, _total

#: a claim whose published value (or direction, order, finding) ours meets
REPRODUCED = "reproduced"
#: a value claim whose number lies outside the tolerance while the direction it states holds
DIRECTION_ONLY = "direction only"
#: anything else: the number, the direction or the finding is not what the paper reports
DIFFERS = "differs"
#: a claim the run did not decide (a full-run claim in a ``--quick`` ledger); never a failure
NOT_CHECKED = "not checked"
VERDICTS = (REPRODUCED, DIRECTION_ONLY, DIFFERS, NOT_CHECKED)

KINDS = ("value", "greater", "ordered", "finding")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Ref:
    """Which measure of a run a claim reads: its name, and the setting labels it must carry
    (``Ref("judge accuracy", debaters="mcts-mcts (precommit)")``); ``group`` narrows it to a
    section of the table when two sections use one name."""

    name: str
    setting: Mapping[str, Any] = field(default_factory=dict)
    group: str | None = None

    def __init__(self, name: str, group: str | None = None, **setting: Any) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "setting", dict(setting))
        object.__setattr__(self, "group", group)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted((k, str(v)) for k, v in self.setting.items())), self.group))

    def matches(self, m: Measure) -> bool:
        return (m.name == self.name and (self.group is None or m.group == self.group)
                and all(str(m.setting.get(k)) == str(v) for k, v in self.setting.items()))

    def find(self, measures: Iterable[Measure]) -> Measure:
        """The one measure this names; a ``LookupError`` says how many matched and, when none
        did, which measures of that name there are."""
        measures = list(measures)
        hits = [m for m in measures if self.matches(m)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise LookupError(f"{len(hits)} measures match {self}; give more of the setting to tell them apart")
        near = sorted({", ".join(f"{k}={v}" for k, v in m.setting.items()) for m in measures if m.name == self.name})
        hint = f"; measures of that name have setting(s): {'; '.join(near)}" if near else \
            "; the run has no measure of that name"
        raise LookupError(f"no measure matches {self}{hint}")

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.setting.items())
        return repr(self.name) + (f" ({where})" if where else "") + (f" in group {self.group!r}" if self.group else "")


@dataclass(frozen=True)
class Claim:
    """One published result and how a run of ours checks it (build one with the class methods).

    ``id`` is short and unique within its scenario (``"delta-mean"``); ``text`` says what is
    claimed, in words; ``source`` is the paper with its table or figure. ``reason`` explains
    the tolerance, or what differs between the paper's setting and ours. ``when`` restricts
    the claim to runs whose parameters match (a mapping of values, or a predicate): the
    published value is shown beside ours only in the paper's setting."""

    id: str
    text: str
    source: str
    kind: str
    published: Any
    refs: tuple[Ref, ...]
    tolerance: float | None = None
    reason: str = ""
    above: Ref | float | None = None
    below: Ref | float | None = None
    margin: float = 0.0
    must_hold: bool = False
    quick: bool = False
    when: Mapping[str, Any] | Callable[[Mapping[str, Any]], bool] | None = None

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"a claim's id must be lower-case letters, digits and '-', got {self.id!r}")
        if self.kind not in KINDS:
            raise ValueError(f"a claim's kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not self.refs:
            raise ValueError(f"claim {self.id!r} names no measure")
        if self.kind == "value":
            if self.tolerance is None or not math.isfinite(self.tolerance) or self.tolerance < 0:
                raise ValueError(f"claim {self.id!r}: tolerance must be a finite number >= 0, got {self.tolerance!r}")
            if not self.reason:
                raise ValueError(f"claim {self.id!r}: a value claim gives the reason for its tolerance")
            if not (_is_number(self.published) or _is_range(self.published)):
                raise ValueError(f"claim {self.id!r}: a value claim's published value must be a number or a "
                                 f"(low, high) range, got {self.published!r}")
        if self.kind == "ordered" and len(self.refs) < 2:
            raise ValueError(f"claim {self.id!r}: an order needs at least two measures")

    # --- the kinds -------------------------------------------------------------------------------
    @classmethod
    def value(cls, id: str, text: str, source: str, published: float | tuple[float, float], ref: Ref, *,
              tolerance: float, reason: str, above: Ref | float | None = None, below: Ref | float | None = None,
              **common: Any) -> Claim:
        """Ours within ``tolerance`` of ``published`` (a number, or a ``(low, high)`` range), in
        the measure's own units (a rate's tolerance is a share: 0.05 is 5 points)."""
        return cls(id, text, source, "value", published, (ref,), tolerance=tolerance, reason=reason, above=above,
                   below=below, **common)

    @classmethod
    def greater(cls, id: str, text: str, source: str, higher: Ref, lower: Ref | float, *, published: str = "",
                margin: float = 0.0, reason: str = "", **common: Any) -> Claim:
        """``higher`` exceeds ``lower`` (another measure, or a number) by more than ``margin``."""
        refs = (higher,) if not isinstance(lower, Ref) else (higher, lower)
        return cls(id, text, source, "greater", published or text, refs, below=None, above=lower, margin=margin,
                   reason=reason, **common)

    @classmethod
    def ordered(cls, id: str, text: str, source: str, refs: Sequence[Ref], *, published: str = "",
                reason: str = "", **common: Any) -> Claim:
        """The measures strictly increase in the order given."""
        return cls(id, text, source, "ordered", published or text, tuple(refs), reason=reason, **common)

    @classmethod
    def finding(cls, id: str, text: str, source: str, published: str, ref: Ref, *, reason: str = "",
                **common: Any) -> Claim:
        """Ours, a categorical finding (a text such as ``"yes"``), equals ``published``."""
        return cls(id, text, source, "finding", published, (ref,), reason=reason, **common)

    def with_(self, **changes: Any) -> Claim:
        """A copy with some fields changed (e.g. a tighter tolerance)."""
        return replace(self, **changes)

    def applies(self, params: Mapping[str, Any]) -> bool:
        """Whether a run with these parameters is in the claim's setting."""
        if self.when is None:
            return True
        if callable(self.when):
            return bool(self.when(params))
        return all(params.get(k) == v for k, v in self.when.items())

    def as_published(self) -> Published | None:
        """The published value as shown beside the measure it is compared with (value claims)."""
        if self.kind != "value":
            return None
        value = self.published if _is_number(self.published) else "-".join(_short(x) for x in self.published)
        return Published(value, self.source, self.reason)


@dataclass(frozen=True)
class Verdict:
    """A claim checked against a run: the verdict, ours as text (with its interval), the
    published value and tolerance as text, and why the verdict is what it is."""

    claim: Claim
    verdict: str
    ours: str
    published: str
    tolerance: str
    detail: str
    value: Any = None
    interval: tuple[float, float] | None = None

    @property
    def failed(self) -> bool:
        """A must-hold claim that was checked and not reproduced."""
        return self.claim.must_hold and self.verdict not in (REPRODUCED, NOT_CHECKED)

    def as_dict(self) -> dict[str, Any]:
        c = self.claim
        return {"id": c.id, "claim": c.text, "source": c.source, "kind": c.kind,
                "published": list(c.published) if isinstance(c.published, tuple) else _json_number(c.published),
                "published_text": self.published, "ours": _json_number(self.value),
                "ours_text": self.ours, "interval": None if self.interval is None else [_json_number(x)
                                                                                        for x in self.interval],
                "tolerance": c.tolerance, "tolerance_text": self.tolerance, "reason": c.reason,
                "verdict": self.verdict, "detail": self.detail, "must_hold": c.must_hold, "quick": c.quick}


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_range(x: Any) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and all(_is_number(v) for v in x) and x[0] <= x[1]


def _json_number(x: Any) -> Any:
    if hasattr(x, "item") and not isinstance(x, str):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _short(x: float) -> str:
    return f"{x:g}"


def _ours(m: Measure) -> str:
    return " ".join(p for p in (m.format(m.value), m.format_interval()) if p)


def _tolerance_text(m: Measure, tol: float) -> str:
    if m.unit == "%":
        return f"±{100 * tol:.1f} points"
    return f"±{tol:g}" + (f" {m.unit}" if m.unit else "")


def _published_text(m: Measure, published: Any) -> str:
    if _is_range(published):
        return f"{m.format(published[0])} to {m.format(published[1])}"
    return m.format(published)


def _number(m: Measure, claim: Claim) -> float:
    if not _is_number(m.value):
        raise LookupError(f"the measure {m.name!r} holds {m.value!r}, not a finite number")
    return float(m.value)


def _side(claim: Claim, ours: float, measures: list[Measure]) -> tuple[bool, str] | None:
    """The value claim's direction: (whether it holds, what it says), or None when it states none."""
    for bound, op in ((claim.above, ">"), (claim.below, "<")):
        if bound is None:
            continue
        if isinstance(bound, Ref):
            other = bound.find(measures)
            x, what = _number(other, claim), f"{other.format(other.value)} ({bound.name}, "
            what += ", ".join(f"{k}={v}" for k, v in bound.setting.items()) + ")"
        else:
            x, what = float(bound), f"{bound:g}"
        holds = ours > x if op == ">" else ours < x
        return holds, f"ours {op} {what}"
    return None


def check(claim: Claim, measures: Iterable[Measure]) -> Verdict:
    """The verdict on ``claim`` from a run's measures. A measure the claim names but the run
    did not produce gives "differs", with what was missing: a claim is never dropped."""
    measures = list(measures)
    try:
        return _check(claim, measures)
    except LookupError as err:
        return Verdict(claim, DIFFERS, "—", str(claim.published), "", f"not measured: {err}")


def _check(claim: Claim, measures: list[Measure]) -> Verdict:
    first = claim.refs[0].find(measures)
    if claim.kind == "value":
        ours = _number(first, claim)
        lo, hi = claim.published if _is_range(claim.published) else (claim.published, claim.published)
        off = max(lo - ours, ours - hi, 0.0)
        tol = float(claim.tolerance or 0.0)
        base = dict(ours=_ours(first), published=_published_text(first, claim.published),
                    tolerance=_tolerance_text(first, tol), value=first.value, interval=first.interval)
        if off <= tol * (1 + 1e-9) + 1e-12:
            return Verdict(claim, REPRODUCED, detail="within the tolerance", **base)
        gap = (f"{100 * off:.1f} points" if first.unit == "%" else first.format(off)) + " from the published value"
        side = _side(claim, ours, measures)
        if side is not None and side[0]:
            return Verdict(claim, DIRECTION_ONLY, detail=f"{gap}; the direction holds: {side[1]}", **base)
        extra = f"; nor does the direction hold: {side[1]} is false" if side is not None else ""
        return Verdict(claim, DIFFERS, detail=f"{gap}, beyond the tolerance{extra}", **base)
    if claim.kind == "finding":
        ours = str(first.value)
        same = ours.strip().lower() == str(claim.published).strip().lower()
        return Verdict(claim, REPRODUCED if same else DIFFERS, ours, str(claim.published), "",
                       "the same finding" if same else f"ours is {ours!r}, the paper's {claim.published!r}",
                       value=ours)
    if claim.kind == "greater":
        a = _number(first, claim)
        if isinstance(claim.above, Ref):
            other = claim.above.find(measures)
            b, b_text = _number(other, claim), first.format(other.value)
        else:
            b, b_text = float(claim.above), first.format(claim.above)  # type: ignore[arg-type]
        holds = a - b > claim.margin
        if holds or a <= b:
            ours = f"{first.format(first.value)} {'>' if holds else '≤'} {b_text}"
        else:  # above, but not by the margin the claim needs
            ours = f"{first.format(first.value)} > {b_text} by only {first.format(a - b)}"
        need = f" by more than {first.format(claim.margin)}" if claim.margin else ""
        return Verdict(claim, REPRODUCED if holds else DIFFERS, ours, str(claim.published), "",
                       f"the direction holds{need}" if holds else f"the direction does not hold{need}",
                       value=a - b)
    found = [r.find(measures) for r in claim.refs]
    values = [_number(m, claim) for m in found]
    holds = all(b > a for a, b in zip(values, values[1:], strict=False))
    ours = " < ".join(m.format(m.value) for m in found) if holds else \
        ", ".join(m.format(m.value) for m in found)
    broken = [f"{found[i].format(values[i])} then {found[i + 1].format(values[i + 1])}"
              for i in range(len(values) - 1) if values[i + 1] <= values[i]]
    return Verdict(claim, REPRODUCED if holds else DIFFERS, ours, str(claim.published), "",
                   "in the published order" if holds else "out of order: " + "; ".join(broken), value=values)


def not_checked(claim: Claim, why: str, measures: Iterable[Measure] = ()) -> Verdict:
    """A claim left undecided (a full-run claim in a quick ledger), listed with why; the
    published value and tolerance are written in the units of the measure it names when the
    run produced one."""
    try:
        m = claim.refs[0].find(measures)
    except LookupError:
        m = Measure(claim.refs[0].name, None)
    published = _published_text(m, claim.published) if claim.kind == "value" else str(claim.published)
    tolerance = "" if claim.tolerance is None else _tolerance_text(m, claim.tolerance)
    return Verdict(claim, NOT_CHECKED, "—", published, tolerance, why)


def attach_published(measures: list[Measure], claims: Iterable[Claim]) -> list[Measure]:
    """``measures`` with each value claim's published value set beside the measure it names
    (the printed table and figure then show it); measures no claim names are unchanged."""
    out = list(measures)
    for claim in claims:
        pub = claim.as_published()
        if pub is None:
            continue
        for i, m in enumerate(out):
            if claim.refs[0].matches(m) and m.published is None:
                out[i] = replace(m, published=pub)
    return out


def claims_table(verdicts: Sequence[Verdict], width: int = WIDTH, *, ids: bool = False) -> str:
    """The verdicts as a table (claim, paper, ours with its interval, tolerance, verdict) wrapped
    to ``width`` columns, the sources as numbered footnotes, and below it, for every claim not
    reproduced, why: the difference and the reason the claim gives. A must-hold claim's
    verdict is marked ``(must hold)``."""
    if not verdicts:
        return "(no claims)"
    sources: list[str] = []
    rows = []
    for v in verdicts:
        if v.claim.source not in sources:
            sources.append(v.claim.source)
        text = f"{v.claim.id}: {v.claim.text}" if ids else v.claim.text
        verdict = v.verdict + (" (must hold)" if v.claim.must_hold else "")
        rows.append([text, f"{v.published} [{sources.index(v.claim.source) + 1}]", v.ours, v.tolerance, verdict])
    header = ["claim", "paper", "ours", "tolerance", "verdict"]
    _fit(header, rows, width, [0, 2, 1])
    out = _render(header, rows) if _total(header, rows) <= width else [
        line for r in rows for line in textwrap.wrap("  ".join(c.replace("\n", " ") for c in r if c), width,
                                                      subsequent_indent="    ")]
    whys = [v for v in verdicts if v.verdict not in (REPRODUCED, NOT_CHECKED)]
    if whys:
        out.append("")
        for v in whys:
            why = v.detail + (f". {v.claim.reason}" if v.claim.reason and v.claim.reason not in v.detail else "")
            out += textwrap.wrap(f"{v.claim.text}: {v.verdict}: {why}", width, subsequent_indent="    ")
    unchecked = sorted({v.detail for v in verdicts if v.verdict == NOT_CHECKED})
    if unchecked:
        out.append("")
        out += [line for why in unchecked for line in textwrap.wrap(f"not checked: {why}", width,
                                                                    subsequent_indent="    ")]
    out.append("")
    for i, s in enumerate(sources, 1):
        out += textwrap.wrap(f"[{i}] {s}", width, subsequent_indent=" " * (len(str(i)) + 3))
    return "\n".join(out)


def check_declarations(claims: Sequence[Claim]) -> None:
    """A scenario's claims: ids unique."""
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ValueError(f"two claims have the id {c.id!r}")
        seen.add(c.id)


__all__ = ["DIFFERS", "DIRECTION_ONLY", "NOT_CHECKED", "REPRODUCED", "VERDICTS", "Claim", "Ref", "Verdict",
           "attach_published", "check", "check_declarations", "claims_table", "not_checked"]
