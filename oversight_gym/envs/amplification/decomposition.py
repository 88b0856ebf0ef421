"""Task decomposition by aggregation trees (after Wu et al. 2021, "Recursively summarizing
books with human feedback", arXiv 2109.10862) and recursive reward modelling (after Leike
et al. 2018, "Scalable agent alignment via reward modeling", arXiv 1811.07871).

Aggregation trees
-----------------
A "book" is ``branching^height`` leaves, each holding a content value in ``[0, values)``;
the summary a node must produce is the total content of its subtree (a count: the
numeric stand-in for a summary that must keep every fact). Workers process the leaves;
combiners combine their children's outputs, level by level up to the root; each node sees
only its children's *outputs* (in Wu et al. the inputs of higher nodes come from model
outputs, and each level is trained on its own). Every node errs with probability ``p``
under one of three error models (:data:`ERROR_MODELS`):

* ``replace``: the output is replaced by a uniformly random other value in its range;
* ``off_by_one``: the output is one too high or too low (errors can cancel up the tree);
* ``drop``: a combiner leaves out one child at random (a worker outputs 0): a summary that
  omits a chapter (a biased error that a learned combiner can partly correct).

Combiners are scripted (the exact sum of the children's outputs) or learned (per level, a
least-squares map ``round(w * sum + c)`` fitted on trees whose lower levels are the model's
own outputs). With ``p = 0`` and scripted (perfect) nodes the root is exact. The game
``amplification/aggregation-v0`` plays one tree with a ``worker`` and a ``combiner`` seat;
:func:`simulate_trees` is the vectorised batch path with the same error function.

Recursive reward modelling
--------------------------
:func:`recursive_reward_modelling`: agents ``A_1 .. A_K``. An outcome has ``K`` aspects
``x_0 .. x_{K-1}`` and true quality ``sum_j x_j``; in the candidate outcomes aspect 0 (what
an unaided user can check) is correlated ``-rho`` with every other aspect (optimising what
is visible costs what is hidden). The user evaluating A_k's outcomes checks aspect 0 with
noise ``sigma_user``; the assistant ``A_{k-1}`` reports aspects ``1 .. k-1`` (aspect j with
noise ``sigma_assist * sqrt(j)``: each level of delegation adds noise); a *misleading*
assistant hides harms: with probability ``mislead`` it reports a negative aspect as its
absolute value. A reward model (least squares on the evaluator's scores) is fitted, and
A_k is best-of-n against it. Measured per k: evaluation accuracy (pairwise agreement of
the evaluator's scores with true quality), and A_k's true quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import rate
from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.errors import check_choice, check_float, check_int
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.params import PAYOFF, Choice, Estimate, Int, Params, Real, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme
from oversight_gym.envs.amplification.metrics import tree_error

ERROR_MODELS = ("replace", "off_by_one", "drop")
WORKER, COMBINER = 0, 1


def corrupt(out: np.ndarray, high: np.ndarray, model: str, p: float, rng: np.random.Generator,
            children: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply a node error model to outputs ``out`` (int array; valid range ``[0, high]``)
    with probability ``p`` each. ``children`` (shape ``out.shape + (b,)``) are the inputs of
    combiners (``None`` for workers). Returns ``(new outputs, erred mask)``."""
    out = np.asarray(out, dtype=np.int64).copy()
    high = np.broadcast_to(np.asarray(high, dtype=np.int64), out.shape)
    if p <= 0.0:
        return out, np.zeros(out.shape, dtype=bool)
    err = rng.random(out.shape) < p
    if model == "replace":
        r = (rng.random(out.shape) * high).astype(np.int64)  # uniform in [0, high - 1]
        r = r + (r >= out)  # skip the current value: uniform over the other values
        out = np.where(err & (high > 0), r, out)
    elif model == "off_by_one":
        step = np.where(rng.random(out.shape) < 0.5, -1, 1)
        step = np.where(out + step < 0, 1, np.where(out + step > high, -1, step))
        out = np.where(err & (high > 0), out + step, out)
    else:  # drop
        if children is None:
            out = np.where(err, 0, out)
        else:
            b = children.shape[-1]
            pick = rng.integers(b, size=out.shape)
            dropped = np.take_along_axis(children, pick[..., None], axis=-1)[..., 0]
            out = np.where(err, np.maximum(out - dropped, 0), out)
    return out, err


@dataclass
class Combiner:
    """A combiner per level: ``round(w * sum(children) + c)`` clipped to the node's range;
    ``w = 1, c = 0`` is the scripted (exact) sum."""

    w: np.ndarray  # per level 1..height
    c: np.ndarray

    @classmethod
    def scripted(cls, height: int) -> Combiner:
        return cls(np.ones(height), np.zeros(height))

    def apply(self, level: int, sums: np.ndarray, high: int) -> np.ndarray:
        out = np.rint(self.w[level - 1] * sums + self.c[level - 1]).astype(np.int64)
        return np.clip(out, 0, high)


def simulate_trees(n: int, branching: int, height: int, values: int, p: float, model: str,
                   rng: np.random.Generator, combiner: Combiner | None = None, worker_error: bool = True,
                   record_levels: bool = False) -> dict[str, Any]:
    """Play ``n`` aggregation trees at once. Returns the root outputs and truths (and, with
    ``record_levels``, each level's children sums and true values, to fit combiners)."""
    check_choice("error_model", model, ERROR_MODELS)
    combiner = combiner or Combiner.scripted(height)
    leaves = rng.integers(values, size=(n, branching ** height))
    truth = leaves.copy()
    out, err = corrupt(leaves, np.full(leaves.shape, values - 1), model, p if worker_error else 0.0, rng)
    errors = err.sum(axis=1)
    levels = []
    for level in range(1, height + 1):
        kids = out.reshape(n, -1, branching)
        truth = truth.reshape(n, -1, branching).sum(axis=2)
        sums = kids.sum(axis=2)
        high = (values - 1) * branching ** level
        if record_levels:
            levels.append((sums.copy(), truth.copy()))
        out = combiner.apply(level, sums, high)
        out, err = corrupt(out, np.full(out.shape, high), model, p, rng, children=kids)
        errors = errors + err.sum(axis=1)
    root, truth = out[:, 0], truth[:, 0]
    res = {"root": root, "truth": truth, "errors": errors, "correct": root == truth}
    if record_levels:
        res["levels"] = levels
    return res


def fit_combiner(branching: int, height: int, values: int, p: float, model: str, rng: np.random.Generator,
                 train_trees: int = 2000) -> Combiner:
    """Learn a combiner level by level (Wu et al.: each level trained on its own, its inputs
    the lower levels' model outputs): least squares of the true total on the children's sum."""
    comb = Combiner.scripted(height)
    for level in range(1, height + 1):
        sim = simulate_trees(train_trees, branching, height, values, p, model, rng, comb, record_levels=True)
        sums, truth = sim["levels"][level - 1]
        x, y = sums.reshape(-1).astype(np.float64), truth.reshape(-1).astype(np.float64)
        a = np.stack([x, np.ones_like(x)], axis=1)
        (w, c), *_ = np.linalg.lstsq(a, y, rcond=None)
        comb.w[level - 1], comb.c[level - 1] = w, c
    return comb


def tree_cell(branching: int, height: int, p: float, model: str, trees: int, learn: bool,
              seed: int) -> dict[str, Any]:
    """Root error of ``trees`` aggregation trees of ``branching`` and ``height`` (binary
    leaves) whose nodes err with probability ``p`` under ``model``: the scripted sum's root
    error with a 95% Wilson interval and mean absolute root error, the closed form
    :func:`~oversight_gym.envs.amplification.metrics.tree_error`, and with ``learn`` the same
    for a learned combiner (:func:`fit_combiner`). A flat record, seeded by ``seed`` and the cell."""
    rng = np.random.default_rng([seed, branching, height, int(round(p * 1e6)), ERROR_MODELS.index(model)])
    rec: dict[str, Any] = {"branching": branching, "height": height, "p": p, "error_model": model, "n": trees,
                           "closed_form": tree_error(branching, height, p)}
    sim = simulate_trees(trees, branching, height, 2, p, model, rng)
    r = rate((~sim["correct"]).tolist())
    rec.update(root_error=r.value, ci_low=r.interval[0], ci_high=r.interval[1],
               mean_abs_error=float(np.abs(sim["root"] - sim["truth"]).mean()))
    if learn:
        comb = fit_combiner(branching, height, 2, p, model, rng, train_trees=max(200, trees // 2))
        sim = simulate_trees(trees, branching, height, 2, p, model, rng, comb)
        rec.update(learned_root_error=float(1 - sim["correct"].mean()),
                   learned_mean_abs_error=float(np.abs(sim["root"] - sim["truth"]).mean()))
    return rec


# ------------------------------------------------------------------------------------
# The game
# ------------------------------------------------------------------------------------
class AggregationGame(Game):
    """An aggregation tree as a two-seat game: the ``worker`` outputs each leaf's content, the
    ``combiner`` each internal node's total from its children's outputs; every output errs
    with probability ``node_error`` (chance, seeded) under ``error_model``.

    Actions: the output value ``0 .. (values - 1) * branching^height`` (legal up to the node's
    range). Observation (in ``[0, 1]``): ``[is worker, is combiner, level / height]`` then
    the node's inputs divided by the root's range: the leaf content (first slot) for the
    worker, the children's outputs for the combiner. Both seats get +1 if the root is right,
    -1 if not (common interest)."""

    name = "amplification/aggregation-v0"
    player_names = ("worker", "combiner")

    PARAMS = Params(
        {"branching": Int(1, 16), "height": Int(1, 6), "values": Int(2, 16), "node_error": Real(0.0, 1.0),
         "error_model": Choice(*ERROR_MODELS), "payoff": PAYOFF},
        rules=[Estimate(("branching", "height"), lambda c: float(c["branching"]) ** c["height"], 4096, "leaves")],
        cost=lambda c: 2.0 * float(c["branching"]) ** c["height"],
    )

    @validated(PARAMS)
    def __init__(self, branching: int = 2, height: int = 2, values: int = 2, node_error: float = 0.0,
                 error_model: str = "replace", payoff: PayoffScheme | None = None) -> None:
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        self.branching, self.height, self.values = branching, height, values
        self.node_error, self.error_model = node_error, error_model
        self.leaves = self.branching ** self.height
        self.max_value = (self.values - 1) * self.leaves

    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> AggregationState:
        content = rng.integers(self.values, size=self.leaves)
        return AggregationState(self, content, np.random.default_rng(int(rng.integers(2**63))))

    def num_distinct_actions(self) -> int:
        return self.max_value + 1

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (3 + self.branching,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, 1.0)

    def max_game_length(self) -> int:
        return sum(self.branching ** level for level in range(self.height + 1))

    def config(self) -> dict[str, Any]:
        return {"branching": self.branching, "height": self.height, "values": self.values,
                "node_error": self.node_error, "error_model": self.error_model, "payoff": self.payoff.config()}


class AggregationState(State):
    game: AggregationGame

    def __init__(self, game: AggregationGame, content: np.ndarray, chance: np.random.Generator) -> None:
        super().__init__(game)
        self.content = content
        self.chance = chance
        self.level = 0
        self.index = 0
        self.outputs: list[list[int]] = [[]]  # outputs per level
        self.errors = 0
        self.log(-1, "book", content=content.tolist())

    def current_player(self) -> int:
        if self.level > self.game.height:
            return TERMINAL
        return WORKER if self.level == 0 else COMBINER

    def node_high(self) -> int:
        return (self.game.values - 1) * self.game.branching ** self.level

    def children(self) -> list[int]:
        b = self.game.branching
        return self.outputs[self.level - 1][b * self.index:b * (self.index + 1)]

    def truth(self, level: int | None = None, index: int | None = None) -> int:
        level = self.level if level is None else level
        index = self.index if index is None else index
        span = self.game.branching ** level
        return int(self.content[span * index:span * (index + 1)].sum())

    def legal_actions_mask(self, player: int) -> np.ndarray:
        mask = np.zeros(self.game.num_distinct_actions(), dtype=np.int8)
        if player == self.current_player():
            mask[:self.node_high() + 1] = 1
        return mask

    def illegal_reason(self, player: int, action: int) -> str:
        if player != self.current_player():
            return "it is not this seat's turn"
        return f"this node's output is at most {self.node_high()}"

    def _apply(self, player: int, action: int) -> None:
        g = self.game
        kids = np.array([self.children()]) if self.level > 0 else None
        out, err = corrupt(np.array([action]), np.array([self.node_high()]), g.error_model, g.node_error,
                           self.chance, children=kids)
        value = int(out[0])
        self.errors += int(err[0])
        self.log(player, "output", level=self.level, node=self.index, chosen=action, output=value,
                 erred=bool(err[0]), truth=self.truth())
        self.outputs[self.level].append(value)
        self.index += 1
        if self.index == g.branching ** (g.height - self.level):
            self.level += 1
            self.index = 0
            self.outputs.append([])
            if self.level > g.height:
                root, truth = self.outputs[g.height][0], self.truth(g.height, 0)
                self.log(-1, "result", root=root, truth=truth, correct=root == truth)

    def raw_returns(self) -> np.ndarray:
        if not self.is_terminal():
            return np.zeros(2)
        r = 1.0 if self.outcome()["correct"] else -1.0
        return np.array([r, r])

    def outcome(self) -> dict[str, Any]:
        if not self.is_terminal():
            return {}
        g = self.game
        root, truth = self.outputs[g.height][0], self.truth(g.height, 0)
        return {"correct": root == truth, "root": root, "truth": truth, "abs_error": abs(root - truth),
                "node_errors": self.errors}

    def observation(self, player: int) -> np.ndarray:
        g = self.game
        obs = np.zeros(3 + g.branching, dtype=np.float32)
        if self.is_terminal():
            return obs
        obs[player] = 1.0
        obs[2] = self.level / g.height
        if self.level == 0:
            obs[3] = self.content[self.index] / g.max_value
        else:
            obs[3:3 + g.branching] = np.array(self.children(), dtype=np.float32) / g.max_value
        return obs

    def action_to_string(self, player: int, action: int) -> str:
        return f"output {action}"

    def render_text(self) -> str:
        lines = [f"leaves: {self.content.tolist()}"]
        lines += [f"level {lv}: {outs}" for lv, outs in enumerate(self.outputs) if outs]
        return "\n".join(lines)

    def clone(self) -> AggregationState:
        import copy

        new = AggregationState.__new__(AggregationState)
        new.__dict__.update(self.__dict__)
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        new.outputs = [list(o) for o in self.outputs]
        new.chance = copy.deepcopy(self.chance)
        return new


#: PettingZoo-style factories: ``env(**kwargs)``, ``raw_env(**kwargs)``, ``parallel_env(**kwargs)``
env, raw_env, parallel_env = pettingzoo_factories(AggregationGame)


def scripted_node_action(state: AggregationState) -> int:
    """A perfect node: the leaf's content, or the exact sum of the children's outputs
    (clipped to the node's range)."""
    if state.level == 0:
        return int(state.content[state.index])
    return min(int(sum(state.children())), state.node_high())


# ------------------------------------------------------------------------------------
# Recursive reward modelling
# ------------------------------------------------------------------------------------
def candidates(n: int, k: int, aspects: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` decisions of ``k`` candidate outcomes each, ``aspects`` aspects; aspect 0 is
    correlated ``-rho`` with every other aspect."""
    g = rng.standard_normal((n, k, 1))
    u = rng.standard_normal((n, k, aspects))
    x = -rho * g + np.sqrt(1.0 - rho ** 2) * u
    x[..., 0] = g[..., 0]
    return x


def evaluate(x: np.ndarray, level: int, sigma_user: float, sigma_assist: float, mislead: float,
             rng: np.random.Generator) -> np.ndarray:
    """The score the user gives outcomes ``x`` when evaluating for agent ``A_level``,
    assisted by ``A_{level-1}``: aspect 0 checked with noise, aspects ``1 .. level-1``
    reported by the assistant (noise growing with the delegation depth; a misleading
    assistant reports a negative aspect as positive with probability ``mislead``)."""
    score = x[..., 0] + sigma_user * rng.standard_normal(x.shape[:-1])
    for j in range(1, min(level, x.shape[-1])):
        rep = x[..., j] + sigma_assist * np.sqrt(j) * rng.standard_normal(x.shape[:-1])
        if mislead > 0:
            hide = (rng.random(x.shape[:-1]) < mislead) & (rep < 0)
            rep = np.where(hide, -rep, rep)
        score = score + rep
    return score


def recursive_reward_modelling(iterations: int = 6, aspects: int | None = None, rho: float = 0.4,
                               sigma_user: float = 0.3, sigma_assist: float = 0.3, mislead: float = 0.0,
                               labels: int = 2000, choices: int = 16, test: int = 2000,
                               rng: np.random.Generator | None = None) -> list[dict[str, float]]:
    """Train ``A_1 .. A_K`` (``K = iterations``): A_k is best-of-``choices`` against a reward
    model fitted to the scores of a user assisted by ``A_{k-1}``. Returns one record per k:
    ``eval_accuracy`` (pairs the evaluator ranks like the true quality), ``rm_accuracy``
    (the same for the fitted reward model on fresh outcomes), ``true_quality`` (mean true
    quality of A_k's choices), and the random and oracle choices' quality for scale."""
    check_int("iterations", iterations, 1, 64)
    aspects = iterations if aspects is None else check_int("aspects", aspects, 1, 64)
    check_float("rho", rho, 0.0, 0.99)
    check_float("mislead", mislead, 0.0, 1.0)
    rng = rng if rng is not None else np.random.default_rng(0)
    out = []
    for k in range(1, iterations + 1):
        x = candidates(labels, 1, aspects, rho, rng)[:, 0]
        y = evaluate(x, k, sigma_user, sigma_assist, mislead, rng)
        a = np.concatenate([x, np.ones((len(x), 1))], axis=1)
        w, *_ = np.linalg.lstsq(a, y, rcond=None)
        # evaluation and reward-model accuracy on fresh pairs
        p = candidates(test, 2, aspects, rho, rng)
        true = p.sum(axis=-1)
        ev = evaluate(p, k, sigma_user, sigma_assist, mislead, rng)
        rm = p @ w[:-1]
        agree_ev = np.mean(np.sign(ev[:, 0] - ev[:, 1]) == np.sign(true[:, 0] - true[:, 1]))
        agree_rm = np.mean(np.sign(rm[:, 0] - rm[:, 1]) == np.sign(true[:, 0] - true[:, 1]))
        # the agent: best-of-n against the reward model
        c = candidates(test, choices, aspects, rho, rng)
        q = c.sum(axis=-1)
        pick = np.argmax(c @ w[:-1], axis=1)
        out.append({"k": k, "eval_accuracy": float(agree_ev), "rm_accuracy": float(agree_rm),
                    "true_quality": float(q[np.arange(test), pick].mean()),
                    "oracle_quality": float(q.max(axis=1).mean()), "random_quality": float(q[:, 0].mean())})
    return out


def normalised_quality(record: dict[str, float]) -> float:
    """A_k's true quality on the scale of a record of :func:`recursive_reward_modelling`:
    0 is a random choice, 1 the best-of-n choice on the true quality."""
    span = record["oracle_quality"] - record["random_quality"]
    return (record["true_quality"] - record["random_quality"]) / span
