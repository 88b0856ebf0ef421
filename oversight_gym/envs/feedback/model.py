"""Responses, the hidden gold utility, constitutional AI judges and Bradley-Terry reward models.

This is the world that :mod:`oversight_gym.envs.feedback.constitutional` and the
overoptimisation measurements (:mod:`oversight_gym.envs.feedback.overoptimisation`) share.

Responses
    A response is a vector of four features, ``FEATURES``: how *helpful* (substantive) it
    is, its *length* (detail, verbosity), how *harmless* it is and how much it *flatters*
    the user. The initial policy (the model before optimisation) is a
    :class:`ResponseUniverse`: ``size`` responses drawn once from a correlated Gaussian,
    each with probability ``1 / size``. A finite universe makes every quantity exact
    (the distribution of best-of-n, the KL of any policy to the initial one), and the
    policy chooses among finitely many actions, as PettingZoo needs. The correlations are
    those RLHF practice reports: longer answers tend to be more helpful, and more helpful
    answers tend to be less harmless (the helpful/harmless tension of Bai et al. 2022,
    arXiv 2204.05862).

Gold utility
    The human's true preference, a fixed :class:`Constitution` applied without noise
    (:data:`GOLD`): helpfulness and harmlessness count linearly, flattery counts
    *against*, and length has *turning* returns, ``0.3 x - 0.25 x^2`` (some detail helps,
    a wall of text does not).

AI judge (constitutional AI, Bai et al. 2022, "Constitutional AI", arXiv 2212.08073)
    A :class:`ConstitutionJudge` scores a response by a written list of principles, each a
    rule over the features with a weight, and applies every rule with noise (an error
    drawn once per response and principle, so the judge is a fixed, imperfect function,
    as a reward model is). The noise may be heavy-tailed (Student t). The default
    constitution (:data:`CONSTITUTIONS`) is plausible but imperfect: it asks for *thorough*
    answers (a linear reward for length, where the gold utility turns over) and for
    *agreeable* ones (a small reward for flattery, which gold penalises). Variants: the
    default without its harmlessness principle (``missing-harmless``), with length
    over-weighted (``misweighted-length``), and the gold principles without "be concise"
    (``missing-concise``); :func:`blend` interpolates from gold to the default constitution.

Reward model (Christiano et al. 2017; Gao, Schulman, Hilton 2022, arXiv 2210.10760)
    The alternative proxy: a :class:`BradleyTerryRewardModel` fitted by maximum likelihood
    to a limited number of gold-labelled comparisons, over polynomial features of a
    given degree (its capacity).

Why this geometry gives overoptimisation without building in a curve
    Goodhart's law has regressional and extremal variants (Manheim and Garrabrant 2018,
    arXiv 1803.04585). Both are here as mechanisms, not as curve shapes:

    * extremal: the proxy rewards length linearly, the gold utility is concave in it, and
      a missing principle (harmlessness) lets optimisation trade away something gold
      values through a correlation. Mild optimisation moves responses to where proxy and
      gold agree; hard optimisation moves them to extremes where they disagree;
    * regressional: the judge's per-response error is selected for along with the true
      quality; with heavy-tailed error the highest proxy scores are mostly error, so the
      gold value of the very best-looking responses falls back.

    Nothing in the simulation refers to the functional forms of Gao et al.; whether
    ``d (alpha - beta d)`` and ``d (alpha - beta log d)`` describe the simulated curves is
    measured (R^2) by the scenario ``overoptimisation``. With the judge equal to the gold
    utility, nothing can be overoptimised: best-of-n then selects on gold itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import minimize

from oversight_gym.core.errors import check_choice, check_float, check_int

#: The features of a response, in column order.
FEATURES: tuple[str, ...] = ("helpfulness", "length", "harmlessness", "flattery")
#: Correlations of the features under the initial policy (a positive definite matrix).
BASE_CORRELATION = np.array([
    [1.0, 0.5, -0.3, 0.2],
    [0.5, 1.0, 0.0, 0.2],
    [-0.3, 0.0, 1.0, 0.0],
    [0.2, 0.2, 0.0, 1.0],
])
RULE_KINDS = ("linear", "square")


@dataclass(frozen=True)
class Principle:
    """One principle: ``weight * rule(x[feature])``, ``rule`` linear (``x``) or ``square`` (``x^2``)."""

    name: str
    feature: str
    kind: str = "linear"
    weight: float = 1.0
    text: str = ""

    def __post_init__(self) -> None:
        check_choice("feature", self.feature, FEATURES)
        check_choice("kind", self.kind, RULE_KINDS)
        check_float("weight", self.weight)

    def rule(self, features: np.ndarray) -> np.ndarray:
        """The rule's raw value on each row of ``features`` (before the weight)."""
        x = np.asarray(features, dtype=np.float64)[..., FEATURES.index(self.feature)]
        return x if self.kind == "linear" else x * x

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "feature": self.feature, "kind": self.kind, "weight": self.weight}


@dataclass(frozen=True)
class Constitution:
    """A list of principles; the score of a response is the weighted sum of their rules."""

    principles: tuple[Principle, ...]
    name: str = "constitution"

    def __post_init__(self) -> None:
        names = [p.name for p in self.principles]
        if len(set(names)) != len(names):
            raise ValueError(f"principles must have distinct names, got {names}")

    def rules(self, features: np.ndarray) -> np.ndarray:
        """``(N, P)`` raw rule values."""
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if not self.principles:
            return np.zeros((len(x), 0))
        return np.stack([p.rule(x) for p in self.principles], axis=1)

    @property
    def weights(self) -> np.ndarray:
        return np.array([p.weight for p in self.principles], dtype=np.float64)

    def score(self, features: np.ndarray) -> np.ndarray:
        """Noise-free score of each row."""
        return self.rules(features) @ self.weights

    def without(self, name: str) -> Constitution:
        """This constitution with principle ``name`` removed (a *missing* principle)."""
        if name not in [p.name for p in self.principles]:
            raise ValueError(f"principle must be one of {[p.name for p in self.principles]}, got {name!r}")
        return Constitution(tuple(p for p in self.principles if p.name != name), f"{self.name} without {name}")

    def reweighted(self, name: str, weight: float) -> Constitution:
        """This constitution with principle ``name`` given ``weight`` (a *mis-weighted* principle)."""
        if name not in [p.name for p in self.principles]:
            raise ValueError(f"principle must be one of {[p.name for p in self.principles]}, got {name!r}")
        return Constitution(tuple(replace(p, weight=float(weight)) if p.name == name else p for p in self.principles),
                            f"{self.name} with {name}={weight:g}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "principles": [p.to_dict() for p in self.principles]}


def blend(gold: Constitution, flawed: Constitution, error: float) -> Constitution:
    """The constitution ``(1 - error) * gold + error * flawed``, principle by principle (a
    principle one side lacks has weight 0 there): ``error`` 0 is the gold utility itself,
    1 is ``flawed``. A continuous knob of constitution error."""
    error = check_float("error", error, 0.0, 1.0)
    out: dict[tuple[str, str], float] = {}
    for scale, c in ((1.0 - error, gold), (error, flawed)):
        for p in c.principles:
            out[(p.feature, p.kind)] = out.get((p.feature, p.kind), 0.0) + scale * p.weight
    principles = tuple(Principle(f"{kind} {feat}", feat, kind, w) for (feat, kind), w in out.items())
    return Constitution(principles, f"blend(error={error:g})")


#: The hidden gold utility: what the human truly prefers.
GOLD = Constitution((
    Principle("helpful", "helpfulness", "linear", 1.0, "substance counts"),
    Principle("harmless", "harmlessness", "linear", 0.6, "harm counts against"),
    Principle("detailed", "length", "linear", 0.3, "some detail helps"),
    Principle("concise", "length", "square", -0.25, "a wall of text does not"),
    Principle("candid", "flattery", "linear", -0.4, "flattery counts against"),
), "gold")

#: The default written constitution: plausible, imperfect.
DEFAULT_CONSTITUTION = Constitution((
    Principle("helpful", "helpfulness", "linear", 1.0, "Choose the response that is most helpful."),
    Principle("harmless", "harmlessness", "linear", 0.6, "Choose the response that is least harmful."),
    Principle("thorough", "length", "linear", 0.5, "Choose the more thorough, detailed response."),
    Principle("agreeable", "flattery", "linear", 0.2, "Choose the more polite and agreeable response."),
), "default")

#: Named constitutions the game and the scenario accept.
CONSTITUTIONS: dict[str, Constitution] = {
    "gold": replace(GOLD, name="gold"),
    "default": DEFAULT_CONSTITUTION,
    "missing-harmless": DEFAULT_CONSTITUTION.without("harmless"),
    "misweighted-length": DEFAULT_CONSTITUTION.reweighted("thorough", 1.5),
    "missing-concise": replace(GOLD.without("concise"), name="missing-concise"),
}


def get_constitution(name: str | Constitution) -> Constitution:
    if isinstance(name, Constitution):
        return name
    check_choice("constitution", name, tuple(CONSTITUTIONS))
    return CONSTITUTIONS[name]


# --- the initial policy -------------------------------------------------------------------
@dataclass(frozen=True)
class ResponseUniverse:
    """The finite set of responses the initial policy samples from, uniformly.

    ``features`` is ``(size, len(FEATURES))``; ``initial`` the initial policy's probabilities.
    """

    features: np.ndarray
    initial: np.ndarray = field(repr=False)

    @classmethod
    def sample(cls, size: int, rng: np.random.Generator) -> ResponseUniverse:
        size = check_int("size", size, 2)
        chol = np.linalg.cholesky(BASE_CORRELATION)
        x = rng.standard_normal((size, len(FEATURES))) @ chol.T
        return cls(x, np.full(size, 1.0 / size))

    @property
    def size(self) -> int:
        return len(self.features)


# --- judges -------------------------------------------------------------------------------
def heavy_noise(rng: np.random.Generator, shape: tuple[int, ...], tail: float) -> np.ndarray:
    """Standard normal noise (``tail`` 0) or Student-t noise with ``tail`` degrees of freedom."""
    if tail == 0:
        return rng.standard_normal(shape)
    return rng.standard_t(tail, shape)


@dataclass(frozen=True)
class ConstitutionJudge:
    """An AI judge applying ``constitution`` with noise: principle k scores response i as
    ``w_k * (rule_k(x_i) + noise * e_ik)``, ``e`` standard normal (``tail`` 0) or Student t
    with ``tail`` degrees of freedom. ``e`` is drawn once per response and principle from
    ``seed``: the judge is a fixed function of the response, as a reward model is."""

    constitution: Constitution
    noise: float = 0.0
    tail: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_float("noise", self.noise, 0.0)
        check_float("tail", self.tail, 0.0)
        if 0 < self.tail < 1:
            raise ValueError(f"tail must be 0 (Gaussian noise) or >= 1 degrees of freedom, got {self.tail!r}")

    def principle_scores(self, features: np.ndarray) -> np.ndarray:
        """``(N, P)``: each principle's weighted, noisy score of each response."""
        rules = self.constitution.rules(features)
        if self.noise > 0:
            rules = rules + self.noise * heavy_noise(np.random.default_rng(self.seed), rules.shape, self.tail)
        return rules * self.constitution.weights

    def scores(self, features: np.ndarray) -> np.ndarray:
        return self.principle_scores(features).sum(axis=1)

    def describe(self) -> dict[str, Any]:
        return {"judge": "constitution", "constitution": self.constitution.to_dict(), "noise": self.noise,
                "tail": self.tail, "seed": self.seed}


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """All monomials of the columns of ``x`` of degree 1..``degree`` (no constant)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    cols = [x]
    prev = [(i,) for i in range(x.shape[1])]
    for _ in range(2, degree + 1):
        nxt = [t + (j,) for t in prev for j in range(t[-1], x.shape[1])]
        cols.append(np.stack([np.prod(x[:, list(t)], axis=1) for t in nxt], axis=1))
        prev = nxt
    return np.concatenate(cols, axis=1)


@dataclass
class BradleyTerryRewardModel:
    """A reward model ``r(x) = w . phi(x)`` over polynomial features of degree ``capacity``,
    fitted by maximum likelihood to comparisons under the Bradley-Terry model
    ``P(a preferred to b) = sigmoid(r(a) - r(b))``, with an L2 penalty ``l2 * |w|^2 / 2``."""

    capacity: int = 2
    l2: float = 1e-2
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        check_int("capacity", self.capacity, 1, 4)
        check_float("l2", self.l2, 0.0)

    def fit(self, preferred: np.ndarray, other: np.ndarray) -> BradleyTerryRewardModel:
        """Fit to pairs: row i of ``preferred`` was preferred to row i of ``other``."""
        diff = polynomial_features(preferred, self.capacity) - polynomial_features(other, self.capacity)
        lam = self.l2

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = diff @ w
            # -log sigmoid(z) = logaddexp(0, -z); its derivative is -sigmoid(-z)
            val = float(np.logaddexp(0.0, -z).sum() + 0.5 * lam * w @ w)
            grad = -(diff.T @ (0.5 * (1.0 - np.tanh(0.5 * z)))) + lam * w
            return val, grad

        res = minimize(loss, np.zeros(diff.shape[1]), jac=True, method="L-BFGS-B",
                       options={"maxiter": 500, "gtol": 1e-9})
        self.weights = res.x
        return self

    def scores(self, features: np.ndarray) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError("BradleyTerryRewardModel: call fit() before scores()")
        return polynomial_features(features, self.capacity) @ self.weights

    def describe(self) -> dict[str, Any]:
        return {"judge": "reward_model", "capacity": self.capacity, "l2": self.l2}


def gold_comparisons(universe: ResponseUniverse, comparisons: int, rng: np.random.Generator,
                     gold: Constitution = GOLD, temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``comparisons`` pairs drawn from the initial policy, labelled by the gold utility under
    Bradley-Terry noise (``temperature`` 0: always the better one). Returns (preferred, other)."""
    comparisons = check_int("comparisons", comparisons, 1)
    temperature = check_float("temperature", temperature, 0.0)
    idx = rng.choice(universe.size, size=(comparisons, 2), p=universe.initial)
    a, b = universe.features[idx[:, 0]], universe.features[idx[:, 1]]
    gap = gold.score(a) - gold.score(b)
    if temperature == 0:
        a_wins = gap >= 0
    else:
        a_wins = rng.random(comparisons) < 1.0 / (1.0 + np.exp(-gap / temperature))
    preferred = np.where(a_wins[:, None], a, b)
    other = np.where(a_wins[:, None], b, a)
    return preferred, other


def train_reward_model(universe: ResponseUniverse, comparisons: int, capacity: int, seed: int,
                       gold: Constitution = GOLD, l2: float = 1e-2) -> BradleyTerryRewardModel:
    """A Bradley-Terry reward model fitted to ``comparisons`` gold-labelled pairs (seeded)."""
    preferred, other = gold_comparisons(universe, comparisons, np.random.default_rng(seed), gold)
    return BradleyTerryRewardModel(capacity, l2).fit(preferred, other)


def make_judge(kind: str = "constitution", constitution: str | Constitution = "default", noise: float = 0.5,
               tail: float = 0.0, comparisons: int = 1000, capacity: int = 2, seed: int = 0,
               universe: ResponseUniverse | None = None) -> ConstitutionJudge | BradleyTerryRewardModel:
    """A proxy judge: ``kind`` ``"constitution"`` (an AI judge), ``"reward_model"`` (Bradley-Terry
    fitted to gold labels drawn from ``universe``) or ``"gold"`` (the gold utility itself)."""
    check_choice("judge", kind, ("constitution", "reward_model", "gold"))
    if kind == "gold":
        return ConstitutionJudge(GOLD, 0.0, 0.0, seed)
    if kind == "constitution":
        return ConstitutionJudge(get_constitution(constitution), noise, tail, seed)
    if universe is None:
        raise ValueError("universe: a reward model is trained on comparisons drawn from a ResponseUniverse")
    return train_reward_model(universe, comparisons, capacity, seed)
