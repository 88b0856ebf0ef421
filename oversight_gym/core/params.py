"""Declared game parameters: each parameter's type, range, choices, when it applies, and the
constraints that tie parameters together, written once and checked by one function.

A game declares its parameters beside its constructor::

    class CoinGame(Game):
        PARAMS = Params(
            {"rounds": Int(1, 1000), "bias": Real(0, 1), "mode": Choice("fair", "biased"),
             "tilt": Real(-1, 1, when=is_("mode", "biased")), "payoff": PAYOFF},
            rules=[Rule(("rounds", "bias"), lambda c: c["rounds"] * c["bias"] < 500,
                        "rounds * bias must be < 500")],
        )

        @validated(PARAMS)
        def __init__(self, rounds=10, bias=0.5, mode="fair", tilt=0.0, payoff=None): ...

:func:`validated` checks the arguments before the constructor body runs, so building the
class directly and ``oversight_gym.make`` (which reuses the class's ``PARAMS``) check the
same rules. Errors are one-line ``ValueError`` s that name the parameter as the user typed
it, its value and what is allowed.

The rules of :func:`validate`:

* an unknown name is an error that lists the known ones;
* a parameter whose ``when`` condition is false does not apply: giving it a value other than
  its default is an error that says when it applies (it is never silently ignored);
* each applicable parameter is checked on its own (type, range, choices); numpy integer and
  float scalars count as ints and reals, ``bool`` counts as neither;
* then the cross-constraints (:class:`Rule`) and the size estimates (:class:`Estimate`, an
  error such as "would need ~7.0 TiB of memory" before any memory is allocated).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from oversight_gym.core.payoffs import PayoffScheme

__all__ = ["PAYOFF", "Bool", "Choice", "Condition", "Estimate", "Instance", "Int", "Param", "Params", "Real",
           "Reals", "Rule", "Text", "defaults_of", "human_bytes", "is_", "is_not", "validate", "validated"]


# --- conditions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """A condition on the other parameters, with the text an error shows (``"kind is 'stable'"``)."""

    text: str
    test: Callable[[Mapping[str, Any]], bool]

    def __call__(self, config: Mapping[str, Any]) -> bool:
        return bool(self.test(config))


def _values_text(values: tuple[Any, ...]) -> str:
    return repr(values[0]) if len(values) == 1 else "one of " + ", ".join(map(repr, values))


def is_(name: str, *values: Any) -> Condition:
    """Applies when parameter ``name`` is one of ``values``."""
    return Condition(f"{name} is {_values_text(values)}", lambda c: c.get(name) in values)


def is_not(name: str, *values: Any) -> Condition:
    """Applies when parameter ``name`` is none of ``values``."""
    return Condition(f"{name} is not {_values_text(values)}", lambda c: c.get(name) not in values)


# --- one parameter -----------------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float | np.floating)


@dataclass(frozen=True)
class Param:
    """A parameter: ``when`` (a :class:`Condition`) says when it applies; ``none=True`` allows
    ``None`` (the game then derives the value, e.g. from the other parameters)."""

    when: Condition | None = field(default=None, kw_only=True)
    none: bool = field(default=False, kw_only=True)

    def check(self, name: str, value: Any) -> Any:
        """The value, normalised (numpy scalars become Python ones); raises ``ValueError``."""
        if value is None:
            if self.none:
                return None
            raise ValueError(f"{name} must be {self.allowed()}, got None")
        return self._check(name, value)

    def _check(self, name: str, value: Any) -> Any:
        return value

    def allowed(self) -> str:
        """What is allowed, in words (``"an integer in [1, 64]"``)."""
        return "any value"

    def _fail(self, name: str, value: Any) -> ValueError:
        extra = " or None" if self.none else ""
        return ValueError(f"{name} must be {self.allowed()}{extra}, got {value!r}")

    def _out_of_range(self, name: str, value: Any) -> ValueError:
        """A value of the right type outside the range: ``depth must be in [1, 6], got 0``."""
        return ValueError(f"{name} must be in {self.interval()}, got {value!r}")

    def interval(self) -> str:
        return ""


@dataclass(frozen=True)
class Int(Param):
    """An integer in ``[low, high]`` (inclusive; ``None``: unbounded on that side)."""

    low: int | None = None
    high: int | None = None

    def interval(self) -> str:
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        return f"[{lo}, {hi}]"

    def allowed(self) -> str:
        return f"an integer in {self.interval()}"

    def _check(self, name: str, value: Any) -> int:
        if not _is_int(value):
            raise self._fail(name, value)
        v = int(value)
        if (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
            raise self._out_of_range(name, value)
        return v


@dataclass(frozen=True)
class Real(Param):
    """A real number in ``[low, high]`` (``open_low``/``open_high`` exclude a bound), finite
    unless ``finite=False``; NaN is never allowed."""

    low: float | None = None
    high: float | None = None
    finite: bool = True
    open_low: bool = False
    open_high: bool = False

    def interval(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if self.open_low or self.low is None else "["
        right = ")" if self.open_high or self.high is None else "]"
        return f"{left}{lo}, {hi}{right}"

    def allowed(self) -> str:
        return f"{'a finite number' if self.finite else 'a number'} in {self.interval()}"

    def _check(self, name: str, value: Any) -> float:
        if not _is_real(value):
            raise self._fail(name, value)
        v = float(value)
        if math.isnan(v) or (self.finite and math.isinf(v)):
            raise self._fail(name, value)
        if self.low is not None and (v < self.low or (self.open_low and v == self.low)):
            raise self._out_of_range(name, value)
        if self.high is not None and (v > self.high or (self.open_high and v == self.high)):
            raise self._out_of_range(name, value)
        return v


@dataclass(frozen=True)
class Reals(Real):
    """A real (as :class:`Real`) or a non-empty sequence of them, e.g. one value per player;
    a sequence comes back as a tuple of floats. A :class:`Rule` states its length."""

    def allowed(self) -> str:
        return super().allowed() + " or a sequence of such numbers"

    def _check(self, name: str, value: Any) -> float | tuple[float, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
            return super()._check(name, value)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return super()._check(name, value[()])
        if len(value) == 0:
            raise self._fail(name, value)
        return tuple(Real._check(self, f"{name}[{i}]", v) for i, v in enumerate(value))


@dataclass(frozen=True)
class Bool(Param):
    """True or False (numpy booleans too; not 0 or 1)."""

    def allowed(self) -> str:
        return "True or False"

    def _check(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise self._fail(name, value)
        return bool(value)


class Choice(Param):
    """One of a fixed set of values (``True`` does not match ``1``)."""

    def __init__(self, *values: Any, when: Condition | None = None, none: bool = False) -> None:
        super().__init__(when=when, none=none)
        object.__setattr__(self, "values", tuple(values))

    def __repr__(self) -> str:
        return f"Choice{self.values!r}"

    def allowed(self) -> str:
        return f"one of {list(self.values)}"

    def _check(self, name: str, value: Any) -> Any:
        for v in self.values:
            if isinstance(value, bool | np.bool_) != isinstance(v, bool):
                continue
            try:
                if bool(value == v) and (type(v) is not str or isinstance(value, str)):
                    return v
            except (TypeError, ValueError):  # arrays and other values without a truth value
                continue
        raise self._fail(name, value)


@dataclass(frozen=True)
class Text(Param):
    """A string that ``parse`` accepts (it raises ``ValueError`` on a bad one); ``describe``
    says what is allowed."""

    parse: Callable[[str], Any] | None = None
    describe: str = "a string"

    def allowed(self) -> str:
        return self.describe

    def _check(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self._fail(name, value)
        if self.parse is not None:
            try:
                self.parse(value)
            except (ValueError, KeyError) as err:
                msg = str(err.args[0]) if err.args else str(err)  # a KeyError's str() adds quotes
                raise ValueError(msg if name in msg else f"{name}: {msg}") from None
        return str(value)


@dataclass(frozen=True)
class Instance(Param):
    """An instance of one of ``types`` (e.g. a payoff scheme)."""

    types: tuple[type, ...] = ()
    describe: str = ""

    def allowed(self) -> str:
        return self.describe or "an instance of " + " or ".join(t.__name__ for t in self.types)

    def _check(self, name: str, value: Any) -> Any:
        if not isinstance(value, self.types):
            raise self._fail(name, value)
        return value


#: the payoff scheme every game takes (None: the game's own default)
#: a learning rate (tabular Q-learning and its kin): in (0, 1]
LEARNING_RATE = Real(0.0, 1.0, open_low=True)
PAYOFF = Instance((PayoffScheme,), describe="a payoff scheme (oversight_gym.core.payoffs)", none=True)


# --- constraints over several parameters --------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """A constraint over the whole configuration: ``test(config)`` must hold, else the error
    says ``message`` and the values of ``names`` (name them in the message as the user types them)."""

    names: tuple[str, ...]
    test: Callable[[Mapping[str, Any]], bool]
    message: str

    def check(self, config: Mapping[str, Any]) -> None:
        if not self.test(config):
            got = ", ".join(f"{n}={config.get(n)!r}" for n in self.names)
            raise ValueError(f"{self.message}; got {got}")


def human_bytes(n: float) -> str:
    """``7.0 TiB``: a byte count in binary units; from a million EiB on, in powers of ten
    (``9.5e+281 EiB``). Any size is written, even an integer too large for a float."""
    x = Decimal(int(n)) if isinstance(n, int | np.integer) else Decimal(float(n))
    if not x.is_finite():
        return f"{float(n)} B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(x) < 1024 or unit == "EiB":
            if unit == "B":
                return f"{int(x)} B"
            return f"{x:.1f} {unit}" if abs(x) < 10**6 else f"{x:.1e} {unit}"
        x /= 1024
    raise AssertionError  # pragma: no cover


@dataclass(frozen=True)
class Estimate:
    """A size that a product of parameters sets: ``count(config)`` items of ``item_bytes`` each
    (a table of states, leaves, samples). Above ``limit`` items the configuration is refused with
    the memory it would need, before anything is allocated. ``what`` names the items."""

    names: tuple[str, ...]
    count: Callable[[Mapping[str, Any]], float]
    limit: float
    what: str
    item_bytes: int = 8

    def check(self, config: Mapping[str, Any]) -> None:
        n = float(self.count(config))
        if n > self.limit:
            got = ", ".join(f"{k}={config.get(k)!r}" for k in self.names)
            raise ValueError(f"{got}: {n:.3g} {self.what} would need ~{human_bytes(n * self.item_bytes)} of memory; "
                             f"at most {self.limit:.3g} are allowed")


# --- the declaration ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Params:
    """A game's declared parameters: name -> :class:`Param`, then cross-constraints
    (:class:`Rule`, :class:`Estimate`) checked in order once every parameter is valid.

    ``defaults`` are needed only where the factory's signature does not show them (a factory
    that takes ``**kwargs``); ``cost(config)``, if given, estimates the work of building the
    game and playing one episode (elementary steps), so that tests can skip huge ones.
    """

    params: Mapping[str, Param]
    rules: Sequence[Rule | Estimate] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    cost: Callable[[Mapping[str, Any]], float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "defaults", dict(self.defaults))

    @property
    def names(self) -> list[str]:
        return list(self.params)

    def extended(self, params: Mapping[str, Param] | None = None, rules: Sequence[Rule | Estimate] = (),
                 cost: Callable[[Mapping[str, Any]], float] | None = None) -> Params:
        """These parameters and rules plus more (a game built on a shared model's parameters)."""
        return Params({**self.params, **(params or {})}, (*self.rules, *rules), self.defaults,
                      cost if cost is not None else self.cost)

    def check_names(self, given: Mapping[str, Any]) -> None:
        unknown = [k for k in given if k not in self.params]
        if unknown:
            raise ValueError(f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                             f"the parameters are: {', '.join(self.params)}")


def validate(declared: Params | Mapping[str, Param], given: Mapping[str, Any],
             defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The configuration ``{**defaults, **given}`` checked against ``declared`` (see the module
    docstring for the rules) and normalised; raises ``ValueError`` naming the parameter."""
    decl = declared if isinstance(declared, Params) else Params(declared)
    decl.check_names(given)
    base = {**decl.defaults, **(defaults or {})}
    config = {**base, **given}
    out: dict[str, Any] = {}
    for name, param in decl.params.items():
        if name not in config:
            continue
        value = config[name]
        if param.when is not None and not param.when(config):
            if name in given and not _is_default(param, name, value, base.get(name, None)):
                raise ValueError(f"{name} applies only when {param.when.text}; got {name}={value!r} "
                                 f"with {_context(param.when, config, name)}")
            out[name] = value
            continue
        out[name] = param.check(name, value)
    for rule in decl.rules:
        rule.check(out)
    return out


def _context(cond: Condition, config: Mapping[str, Any], skip: str) -> str:
    """The values of the parameters a condition's text names (``kind='obfuscated'``)."""
    names = [n for n in config if n != skip and n in cond.text.split()]
    return ", ".join(f"{n}={config[n]!r}" for n in names) or "the other parameters as given"


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _is_default(param: Param, name: str, value: Any, default: Any) -> bool:
    """Whether ``value`` is the default once both are normalised (``0`` for a real whose
    default is ``0.0``, ``np.int64(3)`` for ``3``), so that giving the default of a parameter
    that does not apply is the same as not giving it; ``True`` is still not ``1``."""
    if _same(value, default):
        return True
    try:
        return _same(param.check(name, value), param.check(name, default))
    except ValueError:
        return False


def defaults_of(factory: Callable[..., Any]) -> dict[str, Any]:
    """The parameter defaults a factory's signature (or a dataclass's fields) shows."""
    if dataclasses.is_dataclass(factory) and isinstance(factory, type):
        return {f.name: f.default for f in dataclasses.fields(factory) if f.default is not dataclasses.MISSING}
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return {}
    return {n: p.default for n, p in sig.parameters.items()
            if p.default is not inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD}


def validated(declared: Params) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a constructor: its arguments are checked against ``declared`` (defaults from
    its own signature) and it receives the checked, normalised values."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)
        names = [n for n in sig.parameters if n != "self"]
        defaults = defaults_of(fn)

        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            if len(args) > len(names):
                raise TypeError(f"{type(self).__name__}() takes at most {len(names)} positional arguments")
            given = dict(zip(names, args, strict=False))
            for k, v in kwargs.items():
                if k in given:
                    raise TypeError(f"{type(self).__name__}() got two values for {k}")
                given[k] = v
            return fn(self, **validate(declared, given, defaults))

        inner.__params__ = declared  # type: ignore[attr-defined]
        return inner

    return wrap
