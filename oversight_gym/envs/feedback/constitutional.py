"""``feedback/constitutional-v0``: a policy answers prompts; a proxy judge scores the answers;
a hidden gold utility says what the answers were truly worth.

The setting of Gao, Schulman, Hilton 2022 ("Scaling laws for reward model overoptimization",
arXiv 2210.10760) with the judge of constitutional AI (Bai et al. 2022, arXiv 2212.08073):
see :mod:`oversight_gym.envs.feedback.model` for the responses, the gold utility, the
constitution and the reward model, and for why the geometry makes overoptimisation emerge.

One seat, ``policy``. Each of ``rounds`` rounds draws ``num_candidates`` responses from the
initial policy (a uniform draw from the response universe; the candidates are independent
samples, so keeping the best of the first ``n`` of them by the judge is best-of-n). The
policy sees the candidates' features, row by row, clipped to ``[-6, 6]``, then the fraction
of rounds played, and picks one (action ``i``: candidate ``i``). Its reward is the judge's
score of the response; the gold utility is logged in the transcript and the outcome and
never enters the observation or the reward.

Judges (``judge=``): ``"constitution"`` (a written constitution, ``constitution=`` one of
:data:`~oversight_gym.envs.feedback.model.CONSTITUTIONS`, applied with ``noise`` of
tail ``tail``); ``"reward_model"`` (Bradley-Terry on ``comparisons`` gold-labelled pairs,
polynomial ``capacity``); ``"gold"`` (the judge is the gold utility: nothing to overoptimise).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.params import PAYOFF, Choice, Estimate, Int, Params, Real, Rule, is_, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme
from oversight_gym.envs.feedback.model import (
    CONSTITUTIONS,
    FEATURES,
    GOLD,
    ResponseUniverse,
    make_judge,
)

OBS_BOUND = 6.0


class ConstitutionalFeedbackGame(Game):
    """A policy optimised against a proxy judge (constitution or reward model); gold is hidden."""

    name = "feedback/constitutional-v0"
    player_names = ("policy",)

    _CONSTITUTION = is_("judge", "constitution")
    _REWARD_MODEL = is_("judge", "reward_model")
    PARAMS = Params(
        {
            "num_candidates": Int(1, 256),
            "rounds": Int(1, 1000),
            "judge": Choice("constitution", "reward_model", "gold"),
            "constitution": Choice(*CONSTITUTIONS, when=_CONSTITUTION),
            # the judge's noise, on the scale of the utility's features (standard normal)
            "noise": Real(0.0, 1000.0, when=_CONSTITUTION),
            "tail": Real(0.0, 1000.0, when=_CONSTITUTION),
            "comparisons": Int(1, 10_000_000, when=_REWARD_MODEL),
            "capacity": Int(1, 4, when=_REWARD_MODEL),
            "universe_size": Int(2, 10_000_000),
            "universe_seed": Int(0),
            "payoff": PAYOFF,
        },
        rules=[
            Rule(("tail",), lambda c: not 0 < c["tail"] < 1,
                 "tail must be 0 (Gaussian noise) or >= 1 degrees of freedom (Student's t)"),
            Estimate(("universe_size",), lambda c: c["universe_size"] * len(FEATURES), 2**27, "feature values"),
        ],
        # sampling the universe, training the reward model (its judge only), then the rounds
        cost=lambda c: 50.0 * c["universe_size"] * len(FEATURES)
        + (1000.0 * c["comparisons"] * c["capacity"] if c["judge"] == "reward_model" else 0.0)
        + 2e4 * c["rounds"] * c["num_candidates"],
    )

    @validated(PARAMS)
    def __init__(self, num_candidates: int = 8, rounds: int = 1, judge: str = "constitution",
                 constitution: str = "default", noise: float = 0.5, tail: float = 0.0, comparisons: int = 1000,
                 capacity: int = 2, universe_size: int = 4096, universe_seed: int = 0,
                 payoff: PayoffScheme | None = None) -> None:
        # a one-seat game: the payoff is the seat's own utility (a zero-sum scheme would zero it)
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        self.num_candidates, self.rounds, self.judge_kind = num_candidates, rounds, judge
        self.constitution, self.noise, self.tail = constitution, noise, tail
        self.comparisons, self.capacity = comparisons, capacity
        self.universe_size, self.universe_seed = universe_size, universe_seed
        ss = np.random.SeedSequence(self.universe_seed)
        u_seed, j_seed = (int(s.generate_state(1)[0]) for s in ss.spawn(2))
        self.universe = ResponseUniverse.sample(self.universe_size, np.random.default_rng(u_seed))
        self.judge = make_judge(self.judge_kind, self.constitution, self.noise, self.tail, self.comparisons,
                                self.capacity, j_seed, self.universe)
        self.gold_scores = GOLD.score(self.universe.features)
        self.proxy_scores = self.judge.scores(self.universe.features)
        self._obs_features = np.clip(self.universe.features, -OBS_BOUND, OBS_BOUND).astype(np.float32)

    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> ConstitutionalFeedbackState:
        return ConstitutionalFeedbackState(self, rng)

    def num_distinct_actions(self) -> int:
        return self.num_candidates

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (self.num_candidates * len(FEATURES) + 1,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (-OBS_BOUND, OBS_BOUND)

    def max_game_length(self) -> int:
        return self.rounds

    def config(self) -> dict[str, Any]:
        return {"num_candidates": self.num_candidates, "rounds": self.rounds, "judge": self.judge_kind,
                "constitution": self.constitution, "noise": self.noise, "tail": self.tail,
                "comparisons": self.comparisons, "capacity": self.capacity, "universe_size": self.universe_size,
                "universe_seed": self.universe_seed, "payoff": self.payoff.config()}


class ConstitutionalFeedbackState(State):
    game: ConstitutionalFeedbackGame

    def __init__(self, game: ConstitutionalFeedbackGame, rng: np.random.Generator) -> None:
        super().__init__(game)
        self.rng = rng
        self.round = 0
        self.proxy_total = 0.0
        self.gold_total = 0.0
        self.chosen: list[int] = []
        self._draw()

    def _draw(self) -> None:
        g = self.game
        self.candidates = self.rng.choice(g.universe_size, size=g.num_candidates, p=g.universe.initial)
        self.log(-1, "candidates", round=self.round, responses=self.candidates.tolist())

    def current_player(self) -> int:
        return TERMINAL if self.round >= self.game.rounds else 0

    def legal_actions_mask(self, player: int) -> np.ndarray:
        mask = np.zeros(self.game.num_candidates, dtype=np.int8)
        if player == 0 and self.current_player() == 0:
            mask[:] = 1
        return mask

    def illegal_reason(self, player: int, action: int) -> str:
        return "the episode is over" if self.round >= self.game.rounds else "not a seat of this game"

    def _apply(self, player: int, action: int) -> None:
        g = self.game
        response = int(self.candidates[action])
        proxy, gold = float(g.proxy_scores[response]), float(g.gold_scores[response])
        self.proxy_total += proxy
        self.gold_total += gold
        self.chosen.append(response)
        self.log(player, "respond", round=self.round, candidate=action, response=response, proxy=proxy, gold=gold)
        self.round += 1
        if self.round < g.rounds:
            self._draw()

    def raw_returns(self) -> np.ndarray:
        return np.array([self.proxy_total])

    def outcome(self) -> dict[str, Any]:
        n = max(len(self.chosen), 1)
        return {"proxy": self.proxy_total, "gold": self.gold_total, "mean_proxy": self.proxy_total / n,
                "mean_gold": self.gold_total / n, "proxy_above_gold": self.proxy_total > self.gold_total}

    def observation(self, player: int) -> np.ndarray:
        g = self.game
        feats = g._obs_features[self.candidates].reshape(-1)
        return np.concatenate([feats, np.array([self.round / g.rounds], dtype=np.float32)]).astype(np.float32)

    def action_to_string(self, player: int, action: int) -> str:
        if self.round >= self.game.rounds:
            return f"candidate {action}"
        x = self.game.universe.features[self.candidates[action]]
        return f"candidate {action} (" + ", ".join(f"{f} {v:+.2f}" for f, v in zip(FEATURES, x, strict=True)) + ")"

    def render_text(self) -> str:
        return (f"round {self.round}/{self.game.rounds}; judge total {self.proxy_total:+.3f}; "
                f"gold total {self.gold_total:+.3f}")

    def clone(self) -> ConstitutionalFeedbackState:
        new = ConstitutionalFeedbackState.__new__(ConstitutionalFeedbackState)
        new.__dict__.update(self.__dict__)
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        new.chosen = list(self.chosen)
        new.candidates = self.candidates.copy()
        # an independent generator in the same position: a clone's future draws match the original's
        new.rng = np.random.Generator(type(self.rng.bit_generator)())
        new.rng.bit_generator.state = self.rng.bit_generator.state
        return new


# PettingZoo's module-level factories: env(), raw_env(), parallel_env()
env, raw_env, parallel_env = pettingzoo_factories(ConstitutionalFeedbackGame)
