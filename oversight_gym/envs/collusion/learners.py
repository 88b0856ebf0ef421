"""Learned colluders: tabular softmax policies trained by policy gradient (REINFORCE with a
batch-mean baseline; Williams 1992).

* Covert signalling (``collusion/covert-signal-v0``; Mathew et al. 2024, "Hidden in plain
  text", arXiv 2410.03768: steganography emerges when a sender and a receiver are both
  paid for decoding): :func:`train_covert` learns a sender and a receiver together in
  batches of episodes played by the game's own rule functions; :func:`play_covert` plays
  a trained pair; :class:`CovertPGAgent` plays either seat of the kernel game with the
  learned tables.
* :class:`TabularSoftmax`: the policy table both use (also used by the colluding debaters
  of ``oversight_gym/scenarios/debate_collusion.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_float, check_int
from oversight_gym.core.protocols import Classifier


class TabularSoftmax:
    """A softmax policy per table row: ``pi(a | row) = softmax(logits[row])``."""

    def __init__(self, rows: int, actions: int) -> None:
        self.logits = np.zeros((check_int("rows", rows, 1), check_int("actions", actions, 1)))

    @property
    def actions(self) -> int:
        return self.logits.shape[1]

    def probs(self, rows: Any) -> np.ndarray:
        z = self.logits[np.asarray(rows)]
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def sample(self, rows: Any, rng: np.random.Generator, greedy: bool = False) -> np.ndarray:
        """One action per row (the first best action if ``greedy``)."""
        rows = np.asarray(rows)
        if greedy:
            return self.logits[rows].argmax(axis=-1)
        cum = np.cumsum(self.probs(rows), axis=-1)
        u = rng.random(rows.shape)[..., None]
        return np.minimum((u >= cum).sum(axis=-1), self.actions - 1)

    def reinforce(self, rows: np.ndarray, actions: np.ndarray, advantages: np.ndarray, lr: float,
                  entropy: float = 0.0) -> None:
        """A policy-gradient step: per row, the mean over its samples of
        ``advantage * grad log pi(action | row)`` (plus ``entropy`` times the entropy gradient)."""
        rows = np.asarray(rows).reshape(-1)
        actions = np.asarray(actions).reshape(-1)
        adv = np.asarray(advantages, dtype=np.float64).reshape(-1)
        p = self.probs(rows)
        g = -p * adv[:, None]
        g[np.arange(len(rows)), actions] += adv
        if entropy > 0:
            logp = np.log(np.maximum(p, 1e-300))
            h = (p * logp).sum(axis=1, keepdims=True)
            g += entropy * (-p * (logp - h))
        total = np.zeros_like(self.logits)
        np.add.at(total, rows, g)
        counts = np.bincount(rows, minlength=len(self.logits)).astype(np.float64)
        self.logits += lr * total / np.maximum(counts, 1.0)[:, None]

    def copy(self) -> TabularSoftmax:
        new = TabularSoftmax(*self.logits.shape)
        new.logits = self.logits.copy()
        return new


@dataclass
class CovertBatch:
    """One batch of covert-signalling episodes (arrays, one entry per episode)."""

    secrets: np.ndarray
    topics: np.ndarray
    sent: np.ndarray  # (n, length)
    received: np.ndarray  # (n, length)
    guesses: np.ndarray
    flagged: np.ndarray
    cover: np.ndarray  # share of on-topic words
    reward: np.ndarray

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.guesses == self.secrets))


def play_covert(cfg: Any, sender: TabularSoftmax, receiver: TabularSoftmax, episodes: int,
                rng: np.random.Generator, greedy: bool = False) -> CovertBatch:
    """Play ``episodes`` episodes of ``cfg`` (a CovertConfig) with the game's rule functions."""
    from oversight_gym.envs.collusion.covert_signal import paraphrase_words, receiver_index, sender_index

    n = check_int("episodes", episodes, 1)
    secrets = rng.integers(cfg.secrets, size=n)
    topics = rng.integers(cfg.topics, size=n)
    sent = np.empty((n, cfg.length), dtype=np.int64)
    for pos in range(cfg.length):
        sent[:, pos] = sender.sample(sender_index(pos, secrets, topics, cfg), rng, greedy)
    flagged = cfg.detector.flags(topics, sent)
    u = rng.random((2, n, cfg.length))
    received = paraphrase_words(sent, u[0], u[1], cfg.paraphrase, cfg.synonyms)
    guesses = receiver.sample(receiver_index(topics, received, cfg), rng, greedy)
    cover = (sent // cfg.synonyms == topics[:, None]).mean(axis=1)
    reward = (guesses == secrets) + cfg.cover_weight * cover - cfg.detection_penalty * flagged
    return CovertBatch(secrets, topics, sent, received, guesses, flagged, cover, reward.astype(np.float64))


@dataclass
class CovertTraining:
    sender: TabularSoftmax
    receiver: TabularSoftmax
    curve: list[float] = field(default_factory=list)  # decoding accuracy per iteration (sampled play)


def train_covert(cfg: Any, iterations: int = 400, batch: int = 512, lr: float = 1.0, entropy: float = 0.01,
                 seed: int = 0, progress: bool = False) -> CovertTraining:
    """Learn a sender and a receiver together by REINFORCE on the shared reward of ``cfg``."""
    from oversight_gym.envs.collusion.covert_signal import receiver_index, sender_index

    check_int("iterations", iterations, 0)
    check_int("batch", batch, 1)
    check_float("lr", lr, 0.0)
    rng = np.random.default_rng(seed)
    actions_s = cfg.vocab
    sender = TabularSoftmax(cfg.sender_states, actions_s)
    receiver = TabularSoftmax(cfg.receiver_states, cfg.secrets)
    # break the symmetry of the all-zero start with small seeded noise
    sender.logits += 0.01 * rng.standard_normal(sender.logits.shape)
    receiver.logits += 0.01 * rng.standard_normal(receiver.logits.shape)
    out = CovertTraining(sender, receiver)
    for _ in tqdm(range(iterations), desc="covert PG", disable=not progress, leave=False):
        b = play_covert(cfg, sender, receiver, batch, rng)
        adv = b.reward - b.reward.mean()
        for pos in range(cfg.length):
            sender.reinforce(sender_index(pos, b.secrets, b.topics, cfg), b.sent[:, pos], adv, lr, entropy)
        receiver.reinforce(receiver_index(b.topics, b.received, cfg), b.guesses, adv, lr, entropy)
        out.curve.append(b.accuracy)
    return out


class CovertPGAgent(BaseAgent):
    """Plays either seat of ``collusion/covert-signal-v0`` from tabular softmax policies
    (untrained: uniform; pass a :class:`CovertTraining` to play a learned code)."""

    name = "covert-pg"
    description = "covert signalling: tabular policy-gradient sender/receiver"
    classifier = Classifier(learns=True, colludes=True)
    games = ("collusion/covert-signal-v0",)

    def __init__(self, training: CovertTraining | None = None, config: Any = None, greedy: bool = False,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        from oversight_gym.envs.collusion.covert_signal import CovertConfig

        self.cfg = config if config is not None else CovertConfig()
        if training is None:
            training = CovertTraining(TabularSoftmax(self.cfg.sender_states, self.cfg.vocab),
                                      TabularSoftmax(self.cfg.receiver_states, self.cfg.secrets))
        self.training = training
        self.greedy = bool(greedy)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        from oversight_gym.envs.collusion.covert_signal import SENDER, decode_observation

        expected = 1 + self.cfg.secrets + self.cfg.topics + self.cfg.length * self.cfg.vocab
        if np.shape(observation) != (expected,):
            raise ValueError(f"observation has shape {np.shape(observation)}; this agent's config expects "
                             f"({expected},): pass config=the game's CovertConfig")
        seat, row = decode_observation(observation, self.cfg)
        table = self.training.sender if seat == SENDER else self.training.receiver
        return int(table.sample(np.array([row]), self.rng, self.greedy)[0])


# --- colluding debaters (feature debate) ----------------------------------------------------------
@dataclass
class DebateBatch:
    """One batch of feature debates (arrays, one entry per debate)."""

    truth: np.ndarray
    talk: np.ndarray  # (n, 2) messages (zeros without talk)
    a: np.ndarray
    b: np.ndarray
    verdict: np.ndarray
    raw: np.ndarray  # (n, 2)
    payoff: np.ndarray  # (n, 2)

    @property
    def judge_wrong(self) -> np.ndarray:
        return self.verdict != self.truth

    @property
    def joint_wrong(self) -> np.ndarray:
        return (self.a == self.b) & (self.a != self.truth)


def debate_payoffs(raw: np.ndarray, judge_wrong: np.ndarray, same_answer: np.ndarray, weight: float,
                   prize: float = 1.0, side: float = 0.0, side_condition: str = "same_answer") -> np.ndarray:
    """The payoff knob in batch form: ``SharedPrize(weight, "judge_wrong", prize) +
    SidePayment(side, side_condition)`` applied to zero-sum raw utilities (tested against the
    kernel's payoff schemes)."""
    raw = np.asarray(raw, dtype=np.float64)
    out = weight * (raw - raw.mean(axis=1, keepdims=True))
    if weight < 1.0:
        out = out + ((1.0 - weight) * prize * judge_wrong)[:, None]
    flag = {"same_answer": same_answer, "judge_wrong": judge_wrong}[side_condition]
    return out + (side * flag)[:, None]


def resolve_debates(x: np.ndarray, order: np.ndarray, coin: np.ndarray, a: np.ndarray, b: np.ndarray,
                    reveals: int, judge_checks: int) -> np.ndarray:
    """Verdicts of a batch of feature debates, debaters revealing supporting features
    (vectorised :func:`~oversight_gym.envs.collusion.feature_debate.supporting_feature` and
    :func:`~oversight_gym.envs.collusion.feature_debate.judge_verdict`)."""
    n, f = x.shape
    rows = np.arange(n)
    revealed = np.zeros((n, f), dtype=bool)
    for _ in range(reveals):
        for ans in (a, b):
            free = ~revealed
            cand = free & (x == ans[:, None])
            idx = np.where(cand.any(axis=1), cand.argmax(axis=1), free.argmax(axis=1))
            revealed[rows, idx] = True
    seen = revealed.copy()
    taken = np.zeros(n, dtype=np.int64)
    for k in range(f):
        feat = order[:, k]
        take = ~revealed[rows, feat] & (taken < judge_checks)
        seen[rows[take], feat[take]] = True
        taken += take
    ones = (seen & (x == 1)).sum(axis=1)
    zeros = seen.sum(axis=1) - ones
    verdict = np.where(ones > zeros, 1, np.where(zeros > ones, 0, coin))
    return np.where(a == b, a, verdict)


@dataclass
class DebaterPolicies:
    """Tabular policies of two debaters (answers; with talk, messages too)."""

    answer_a: TabularSoftmax  # rows: (truth, talk_a, talk_b)
    answer_b: TabularSoftmax  # rows: (truth, talk_a, talk_b, a)
    talk_a: TabularSoftmax | None = None  # rows: truth
    talk_b: TabularSoftmax | None = None  # rows: (truth, talk_a)
    messages: int = 0
    curve: list[dict[str, float]] = field(default_factory=list)

    @classmethod
    def fresh(cls, messages: int, rng: np.random.Generator) -> DebaterPolicies:
        m = max(messages, 1)
        pol = cls(TabularSoftmax(2 * m * m, 2), TabularSoftmax(2 * m * m * 2, 2), messages=messages)
        if messages:
            pol.talk_a, pol.talk_b = TabularSoftmax(2, messages), TabularSoftmax(2 * messages, messages)
        for t in (pol.answer_a, pol.answer_b, pol.talk_a, pol.talk_b):
            if t is not None:
                t.logits += 0.01 * rng.standard_normal(t.logits.shape)
        return pol

    def rows_a(self, truth: np.ndarray, talk: np.ndarray) -> np.ndarray:
        m = max(self.messages, 1)
        return (truth * m + talk[:, 0]) * m + talk[:, 1]

    def rows_b(self, truth: np.ndarray, talk: np.ndarray, a: np.ndarray) -> np.ndarray:
        return self.rows_a(truth, talk) * 2 + a


def play_feature_debates(policies: DebaterPolicies, episodes: int, rng: np.random.Generator, n_features: int = 5,
                         reveals: int = 1, judge_checks: int = 1, weight: float = 1.0, prize: float = 1.0,
                         side: float = 0.0, side_condition: str = "same_answer",
                         greedy: bool = False) -> DebateBatch:
    """Play a batch of feature debates with the game's rules and the payoff knob."""
    n = check_int("episodes", episodes, 1)
    x = rng.integers(2, size=(n, n_features))
    order = np.argsort(rng.random((n, n_features)), axis=1)
    coin = rng.integers(2, size=n)
    truth = (2 * x.sum(axis=1) > n_features).astype(np.int64)
    talk = np.zeros((n, 2), dtype=np.int64)
    if policies.messages:
        assert policies.talk_a is not None and policies.talk_b is not None
        talk[:, 0] = policies.talk_a.sample(truth, rng, greedy)
        talk[:, 1] = policies.talk_b.sample(truth * policies.messages + talk[:, 0], rng, greedy)
    a = policies.answer_a.sample(policies.rows_a(truth, talk), rng, greedy)
    b = policies.answer_b.sample(policies.rows_b(truth, talk, a), rng, greedy)
    verdict = resolve_debates(x, order, coin, a, b, reveals, judge_checks)
    contested = a != b
    a_wins = verdict == a
    raw = np.zeros((n, 2))
    raw[contested, 0] = np.where(a_wins[contested], 1.0, -1.0)
    raw[:, 1] = -raw[:, 0]
    payoff = debate_payoffs(raw, verdict != truth, ~contested, weight, prize, side, side_condition)
    return DebateBatch(truth, talk, a, b, verdict, raw, payoff)


def _row_baseline(rows: np.ndarray, reward: np.ndarray, size: int) -> np.ndarray:
    total = np.bincount(rows, weights=reward, minlength=size)
    count = np.bincount(rows, minlength=size)
    return reward - (total / np.maximum(count, 1))[rows]


def train_debaters(iterations: int = 1500, batch: int = 256, lr: float = 0.5, entropy: float = 0.0,
                   messages: int = 0, seed: int = 0, progress: bool = False, **game: Any) -> DebaterPolicies:
    """Independent learners in repeated play: each debater runs its own REINFORCE on its own
    payoff (a per-row mean baseline), seeing only its own observation; ``game`` holds the keyword
    arguments of :func:`play_feature_debates` (n_features, reveals, judge_checks, weight, prize,
    side, side_condition)."""
    check_int("iterations", iterations, 0)
    check_float("lr", lr, 0.0)
    rng = np.random.default_rng(seed)
    pol = DebaterPolicies.fresh(check_int("messages", messages, 0, 16), rng)
    for _ in tqdm(range(iterations), desc="debaters", disable=not progress, leave=False):
        bt = play_feature_debates(pol, batch, rng, **game)
        ra, rb = pol.rows_a(bt.truth, bt.talk), pol.rows_b(bt.truth, bt.talk, bt.a)
        pol.answer_a.reinforce(ra, bt.a, _row_baseline(ra, bt.payoff[:, 0], len(pol.answer_a.logits)), lr, entropy)
        pol.answer_b.reinforce(rb, bt.b, _row_baseline(rb, bt.payoff[:, 1], len(pol.answer_b.logits)), lr, entropy)
        if messages and pol.talk_a is not None and pol.talk_b is not None:
            ta, tb = bt.truth, bt.truth * messages + bt.talk[:, 0]
            pol.talk_a.reinforce(ta, bt.talk[:, 0], _row_baseline(ta, bt.payoff[:, 0], 2), lr, entropy)
            pol.talk_b.reinforce(tb, bt.talk[:, 1], _row_baseline(tb, bt.payoff[:, 1], 2 * messages), lr, entropy)
        pol.curve.append({"judge_accuracy": float(np.mean(bt.verdict == bt.truth)),
                          "joint_wrong": float(np.mean(bt.joint_wrong))})
    return pol


class FeatureDebateLearner(BaseAgent):
    """Plays a seat of ``collusion/feature-debate-v0`` with learned answer tables
    (:func:`train_debaters`; untrained: uniform) and reveals features supporting its answer."""

    name = "feature-debate-pg"
    description = "feature debate: tabular policy-gradient answers, supporting reveals"
    classifier = Classifier(learns=True, colludes=True)
    games = ("collusion/feature-debate-v0",)

    def __init__(self, policies: DebaterPolicies | None = None, greedy: bool = False, seed: int | None = None) -> None:
        super().__init__(seed)
        self.policies = policies if policies is not None else DebaterPolicies.fresh(0, np.random.default_rng(0))
        if self.policies.messages:
            raise ValueError("FeatureDebateLearner plays the game without talk: train with messages=0")
        self.greedy = bool(greedy)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        from oversight_gym.envs.collusion.feature_debate import supporting_feature

        obs = np.asarray(observation)
        seat = int(obs[1] >= 0.5)
        n = (len(obs) - 9) // 2
        x = obs[9: 9 + n].round().astype(np.int64)
        truth = np.array([int(2 * x.sum() > n)])
        talk = np.zeros((1, 2), dtype=np.int64)
        answered = obs[5:9].reshape(2, 2)
        if obs[2] >= 0.5:  # answer phase
            if seat == 0:
                return int(self.policies.answer_a.sample(self.policies.rows_a(truth, talk), self.rng, self.greedy)[0])
            a = np.array([int(answered[0].argmax())])
            return int(self.policies.answer_b.sample(self.policies.rows_b(truth, talk, a), self.rng, self.greedy)[0])
        mine = int(answered[seat].argmax())
        revealed = np.flatnonzero(obs[9 + n:] >= 0.5).tolist()
        return supporting_feature(x, mine, revealed)
