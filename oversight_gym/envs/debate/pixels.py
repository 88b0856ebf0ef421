"""The sparse-pixel debate game (Irving, Christiano, Amodei 2018, "AI safety via debate",
arXiv 1805.00899, section 3.1).

A judge that can see only k pixels of an image must decide between two claimed labels.
Two debaters see the whole image. The honest one claims the true label, the liar a
wrong one; they then reveal one pixel per turn, alternately, k in total. Revealed pixels
are real: no one can lie about a pixel's value. The judge (a classifier trained on random
k-pixel masks, :mod:`oversight_gym.envs.debate.judge`) picks the claimed label it finds
more likely given the revealed pixels. The honest debater wins if it picks the truth.

Modes
-----
* ``precommit=True`` (the paper's main result): both labels are fixed before the reveals.
  ``liar_label`` says how the liar's label is set: ``"random"`` (uniform over the nine
  wrong labels), ``"judge"`` (the wrong label the judge finds most likely on random
  k-pixel views of the image), ``"choose"`` (the liar picks it as its first move, so an
  agent decides), or a fixed digit.
* ``precommit=False``: the liar names its label only after the reveals (its claim is
  hidden from the honest debater until then, and the liar may name any wrong label). The
  paper's evaluation plays nine games per image, one per lie, and the liar wins the image
  if it wins any of them (see ``oversight_gym/scenarios/pixel_debate.py``).

Setup details the paper leaves open, and our choices: the honest debater moves first
(``first="liar"`` reverses it); debaters may reveal black pixels unless
``forbid_black=True``; the judge is trained on masks drawn from all pixels (or non-zero
pixels only when ``forbid_black``), so what debaters can reveal is what it was trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.errors import check_int
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.params import (
    PAYOFF,
    Bool,
    Choice,
    Condition,
    Instance,
    Int,
    Params,
    Rule,
    Text,
    validate,
    validated,
)
from oversight_gym.core.payoffs import PayoffScheme
from oversight_gym.envs.debate.data import ImageData, check_dataset_name, load_dataset
from oversight_gym.envs.debate.judge import Judge, JudgeConfig, get_judge, random_masks

HONEST, LIAR = 0, 1
LIAR_LABEL_MODES = ("random", "judge", "choose")
# phases
CLAIM_FIRST, REVEAL, CLAIM_LAST, DONE = 0, 1, 2, 3
_PHASE_NAMES = ("liar claims", "reveal", "liar claims", "done")


@njit(cache=True)
def legal_pixels(revealed: np.ndarray, lit: np.ndarray, forbid_black: bool, out: np.ndarray) -> int:
    """The reveal rule: write the legal pixels, increasing, into ``out`` and return how
    many. Any hidden pixel is legal; with ``forbid_black`` only hidden lit (non-zero)
    pixels are, while any remain (an image with fewer lit pixels than k lets black ones be
    revealed after them). Compiled once and used by the kernel and the search fast paths."""
    n = 0
    if forbid_black:
        for p in range(revealed.shape[0]):
            if not revealed[p] and lit[p]:
                out[n] = p
                n += 1
        if n > 0:
            return n
    for p in range(revealed.shape[0]):
        if not revealed[p]:
            out[n] = p
            n += 1
    return n


@njit(cache=True)
def legal_pixel_mask(revealed: np.ndarray, lit: np.ndarray, forbid_black: bool, mask: np.ndarray) -> int:
    """:func:`legal_pixels` written as 1s into ``mask`` (the kernel's action mask)."""
    idx = np.empty(revealed.shape[0], np.int64)
    n = legal_pixels(revealed, lit, forbid_black, idx)
    for i in range(n):
        mask[idx[i]] = 1
    return n


def honest_value(logits: Sequence[float] | np.ndarray, true_label: int, liar_label: int = -1,
                 final: bool = False) -> float:
    """The honest debater's value in ``[-1, 1]`` given the judge's logits at a position.

    This is the one value rule of the pixel debate (Irving et al. 2018, section 3.1): the
    kernel (:meth:`PixelDebateGame.evaluate_batch`), the numba search paths of
    :mod:`oversight_gym.agents.search` and the greedy agent all call this function, the
    fast paths compiling this very function with numba (so it only uses what numba
    compiles: indexing, a loop, ``math``).

    * ``liar_label >= 0``: the liar's claim is known; only ``logits[true_label]`` and
      ``logits[liar_label]`` are read. ``liar_label = -1``: the claim is not known yet
      (no precommit, or before a ``"choose"`` claim) and the liar is taken to claim the
      wrong label the judge likes best: the largest logit among the wrong labels, the
      smallest such label on equal logits (it is the one that wins a tie best).
    * ``final=False``: ``tanh((l_true - l_liar) / 2)``, that is ``2 sigma(l_true - l_liar) - 1``:
      the honest debater's expected payoff if the verdict were drawn from the judge's
      softmax over the two claimed labels. It is zero at equal logits and antisymmetric.
    * ``final=True``: all k pixels are revealed and the verdict is a fact: ``+1`` if the
      judge prefers the true label (the higher logit; equal logits go to the smaller
      label, as :meth:`SparseJudge.decide` breaks ties), else ``-1``. With an unknown liar
      this is the exact value of the liar's last claim: the honest side wins only if the
      truth beats every lie.
    """
    z_true = logits[true_label]
    lie = liar_label
    if lie < 0:
        z_lie = -math.inf
        for c in range(len(logits)):
            if c != true_label and (lie < 0 or logits[c] > z_lie):
                lie = c
                z_lie = logits[c]
    else:
        z_lie = logits[lie]
    if final:
        if z_true > z_lie or (z_true == z_lie and true_label < lie):
            return 1.0
        return -1.0
    return math.tanh(0.5 * (z_true - z_lie))


#: the liar's label and when it is fixed (also checked on ``reset(options={"liar_label": ...})``)
LIAR_PARAMS = Params(
    {"precommit": Bool(),
     # a mode, or a fixed digit, as an int or as a string (the command line gives strings)
     "liar_label": Choice(*LIAR_LABEL_MODES, *(str(d) for d in range(10)), *range(10))},
    rules=[Rule(("liar_label", "precommit"), lambda c: c["precommit"] or c["liar_label"] == "random",
                "liar_label must be 'random' without precommit: the liar names its label after the reveals")],
)
_OWN_JUDGE = Condition("judge is None (the game trains its own judge)", lambda c: c.get("judge") is None)


class PixelDebateGame(Game):
    """Configuration of the pixel debate; see the module docstring.

    Parameters
    ----------
    pixels: k, the number of pixels revealed in all (1 to the image's pixel count).
    precommit: whether both labels are fixed before the reveals.
    liar_label: ``"random"``, ``"judge"``, ``"choose"`` or a digit 0-9 (precommit only).
    first: ``"honest"`` or ``"liar"``, who reveals first.
    forbid_black: forbid revealing pixels whose value is 0.
    dataset: ``"digits"`` (scikit-learn's 8x8 digits) or ``"mnist:/folder/with/idx/files"``.
    split: images debated over, ``"test"`` or ``"train"``.
    judge: a trained judge (:class:`SparseJudge`, or any object following the
        :class:`~oversight_gym.envs.debate.judge.Judge` protocol); by default one is trained (or loaded from the
        disk cache) with ``judge_hidden``, ``judge_steps`` and ``judge_seed``.
    payoff: a payoff scheme (zero-sum by default).
    """

    name = "debate/pixels-v0"
    player_names = ("honest", "liar")
    reset_options = ("image_index", "liar_label")

    PARAMS = LIAR_PARAMS.extended(
        {
            # at most the data set's pixel count, checked once the data set is loaded
            "pixels": Int(1, 65_536),
            "first": Choice("honest", "liar"),
            "forbid_black": Bool(),
            "dataset": Text(check_dataset_name, "'digits' or 'mnist:/path/to/idx/folder'"),
            "split": Choice("test", "train"),
            "judge": Instance((Judge,), describe="a judge (oversight_gym.envs.debate.judge.Judge)", none=True),
            "judge_hidden": Int(1, 4096, when=_OWN_JUDGE),
            "judge_steps": Int(1, 1_000_000, when=_OWN_JUDGE),
            "judge_seed": Int(0, when=_OWN_JUDGE),
            "payoff": PAYOFF,
        },
        # training the judge (unless it is given or cached): its steps, each over a batch of hidden units
        cost=lambda c: 0.0 if c.get("judge") is not None else 1000.0 * c["judge_steps"] * (c["judge_hidden"] + 64),
    )

    @validated(PARAMS)
    def __init__(
        self,
        pixels: int = 6,
        precommit: bool = True,
        liar_label: str | int = "random",
        first: str = "honest",
        forbid_black: bool = False,
        dataset: str = "digits",
        split: str = "test",
        judge: Judge | None = None,
        judge_hidden: int = 128,
        judge_steps: int = 10000,
        judge_seed: int = 0,
        payoff: PayoffScheme | None = None,
    ) -> None:
        super().__init__(payoff)
        train, test = load_dataset(dataset)
        self.data: ImageData = test if split == "test" else train
        n_pix = self.data.num_pixels
        if pixels > n_pix:
            raise ValueError(f"pixels must be in [1, {n_pix}], got {pixels}: the images of dataset={dataset!r} have "
                             f"{n_pix} pixels")
        self.pixels = pixels
        self.precommit = precommit
        self.num_classes = int(max(train.labels.max(), test.labels.max())) + 1
        self.liar_label = self._label_in_data(liar_label)  # already checked against LIAR_PARAMS
        self.first = first
        self.forbid_black = forbid_black
        self.dataset = dataset
        self.split = split
        if judge is None:
            cfg = JudgeConfig(pixels=self.pixels, hidden=judge_hidden, steps=judge_steps, seed=judge_seed,
                              pixel_pool="nonzero" if forbid_black else "all")
            judge = get_judge(train, cfg, num_classes=self.num_classes)
        if judge.num_pixels != n_pix:
            raise ValueError(f"judge: expects {judge.num_pixels} pixels, the data set has {n_pix}")
        if judge.num_classes != self.num_classes:
            raise ValueError(f"judge: has {judge.num_classes} classes, the data set has {self.num_classes}")
        self.judge = judge
        self._flat = self.data.flat().astype(np.float64)
        self._flat32 = self._flat.astype(np.float32)
        self._lit = self._flat > 0
        # plain ints read on every move (the hot path of the AEC view)
        self.n_pixels = n_pix
        self.width = self.data.shape[1]
        self.first_player = HONEST if first == "honest" else LIAR
        self._judge_lie_cache: dict[int, int] = {}

    # --- spaces -------------------------------------------------------------------------
    def num_distinct_actions(self) -> int:
        return self.n_pixels + self.num_classes

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (4 * self.data.num_pixels + 2 * self.num_classes + 4,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, 1.0)

    def max_game_length(self) -> int:
        return self.pixels + 1

    def config(self) -> dict[str, Any]:
        return {
            "pixels": self.pixels, "precommit": self.precommit, "liar_label": self.liar_label,
            "first": self.first, "forbid_black": self.forbid_black, "dataset": self.dataset,
            "split": self.split, "judge": self.judge.config.__dict__ if self.judge.config else None,
            "payoff": self.payoff.config(),
        }

    def action_label(self, action: int) -> int:
        return action - self.data.num_pixels

    def label_action(self, label: int) -> int:
        return self.data.num_pixels + label

    # --- liar labels --------------------------------------------------------------------
    def judge_favourite_lie(self, index: int) -> int:
        """The wrong label the judge finds most likely, on average over 64 random k-pixel
        views of image ``index`` (fixed views, seeded by the index)."""
        if index not in self._judge_lie_cache:
            x = np.repeat(self._flat[index][None], 64, axis=0)
            rng = np.random.default_rng(1_000_003 + index)
            mask = random_masks(x, self.pixels, rng, "nonzero" if self.forbid_black else "all")
            p = self.judge.probs(mask, x).mean(axis=0)
            p[self.data.labels[index]] = -np.inf
            self._judge_lie_cache[index] = int(np.argmax(p))
        return self._judge_lie_cache[index]

    def new_initial_state(self, rng: np.random.Generator, image_index: int | None = None,
                          liar_label: str | int | None = None) -> PixelDebateState:
        """A new debate on test image ``image_index`` (random if None; with a fixed liar_label,
        random among the images of another label). ``liar_label`` overrides the game's
        liar-label mode for this debate (precommit only), so an evaluation can play one game
        per possible lie without building nine games."""
        n = len(self.data)
        mode = self.liar_label if liar_label is None else self._check_liar_label(liar_label)
        if image_index is None:
            image_index = int(rng.integers(n))
            if self.precommit and isinstance(mode, int) and int(self.data.labels[image_index]) == mode:
                # a fixed lie cannot be the truth: a drawn image is drawn again among the others
                image_index = int(rng.choice(np.flatnonzero(self.data.labels != mode)))
        else:
            image_index = check_int("image_index", image_index, 0, n - 1)
        true = int(self.data.labels[image_index])
        liar: int | None
        if not self.precommit or mode == "choose":
            liar = None
        elif mode == "random":
            liar = int(rng.choice([c for c in range(self.num_classes) if c != true]))
        elif mode == "judge":
            liar = self.judge_favourite_lie(image_index)
        else:
            liar = int(mode)
            if liar == true:
                raise ValueError(
                    f"liar_label={liar} is the true label of image {image_index}; a fixed lie must differ "
                    "from the truth (use liar_label='random' or pick another image)"
                )
        return PixelDebateState(self, image_index, liar)

    # --- position values (for search) -------------------------------------------------
    def evaluate_batch(self, states: Sequence[PixelDebateState]) -> np.ndarray:
        """``(n, 2)`` values of ``states`` for (honest, liar), zero-sum, by :func:`honest_value`
        (the search agents' evaluation hook).

        One forward pass of the judge over the stacked masks. A finished debate is worth
        exactly +1/-1 from its verdict; after the last reveal of a debate without
        precommit (the liar's claim to come) the value is final too (see
        :meth:`PixelDebateState.evaluation_is_exact`). A state whose lie is not claimed yet
        is valued against the lie its searcher assumes (:meth:`PixelDebateState.assume_lie`,
        a liar's target lie without precommit), by default the judge's favourite wrong label.
        """
        n = len(states)
        out = np.empty((n, 2), dtype=np.float64)
        if n == 0:
            return out
        masks = np.stack([s.mask for s in states])
        logits = self.judge.logits(masks, self._flat[[s.image_index for s in states]])
        for i, s in enumerate(states):
            if s.verdict is not None:
                v = 1.0 if s.verdict == s.true_label else -1.0
            else:
                lie = s.claims[LIAR] if s.claims[LIAR] >= 0 else s.assumed_lie
                v = honest_value(logits[i].tolist(), s.true_label, lie, s.phase == CLAIM_LAST)
            out[i, 0] = v
            out[i, 1] = -v
        return out

    def _check_liar_label(self, liar_label: str | int) -> str | int:
        """A ``liar_label`` given to ``reset``: checked as the constructor checks its own."""
        return self._label_in_data(validate(LIAR_PARAMS, {"precommit": self.precommit,
                                                          "liar_label": liar_label})["liar_label"])

    def _label_in_data(self, liar_label: str | int) -> str | int:
        """A declared ``liar_label`` (a mode or a digit), a digit as an int below the data set's class count."""
        if isinstance(liar_label, str) and liar_label.isdigit():
            liar_label = int(liar_label)
        if isinstance(liar_label, int) and liar_label >= self.num_classes:
            raise ValueError(f"liar_label must be a label of the data set (0 to {self.num_classes - 1}), "
                             f"got {liar_label!r}")
        return liar_label


class PixelDebateState(State):
    game: PixelDebateGame

    def __init__(self, game: PixelDebateGame, image_index: int, liar_label: int | None) -> None:
        super().__init__(game)
        self.image_index = image_index
        self.image = game._flat[image_index]
        self.true_label = int(game.data.labels[image_index])
        self.claims = [self.true_label, liar_label if liar_label is not None else -1]
        self.mask = np.zeros(game.data.num_pixels, dtype=bool)
        self.revealed_by = np.zeros(game.data.num_pixels, dtype=np.int8)  # 0 none, 1 honest, 2 liar
        # each player's observation vector, kept up to date move by move (see ``observation``)
        p, c = game.n_pixels, game.num_classes
        self._obs = np.zeros((2, 4 * p + 2 * c + 4), np.float32)
        self._obs[:, :p] = game._flat32[image_index]
        self._obs[:, 4 * p + self.true_label] = 1.0
        self._obs[1, -1] = 1.0  # the seat flag
        self.reveals: list[int] = []
        self.verdict: int | None = None
        #: the lie a searching agent assumes while the liar's claim is hidden (-1: the judge's
        #: favourite wrong label); a belief carried by the clones it searches, not a rule
        self.assumed_lie = -1
        self.phase = CLAIM_FIRST if (game.precommit and liar_label is None) else REVEAL
        self._current = self._whose_turn()
        self._set_phase(self.phase)
        self.log(-1, "start", image_index=image_index, true_label=self.true_label)
        self.log(HONEST, "claim", label=self.true_label)
        if liar_label is not None:
            self._show_liar_claim(liar_label)
            self.log(LIAR, "claim", label=liar_label)

    def _set_phase(self, phase: int) -> None:
        self.phase = phase
        base = 4 * self.game.n_pixels + 2 * self.game.num_classes
        self._obs[:, base:base + 3] = 0.0  # one-hot of CLAIM_FIRST, REVEAL, CLAIM_LAST; all zero when done
        if phase != DONE:
            self._obs[:, base + phase] = 1.0

    def _show_liar_claim(self, label: int) -> None:
        # a claim is seen by both at once: with precommit it precedes the reveals, without
        # it ends the debate
        self._obs[:, 4 * self.game.n_pixels + self.game.num_classes + label] = 1.0

    # --- turns --------------------------------------------------------------------------
    def current_player(self) -> int:
        return self._current

    def _whose_turn(self) -> int:
        """Recomputed after every move (``current_player`` is read several times a move)."""
        if self.phase == REVEAL:
            first = self.game.first_player
            return first if len(self.reveals) % 2 == 0 else 1 - first
        if self.phase in (CLAIM_FIRST, CLAIM_LAST):
            return LIAR
        return TERMINAL

    def legal_actions_mask(self, player: int) -> np.ndarray:
        g = self.game
        p = g.n_pixels
        out = np.zeros(p + g.num_classes, dtype=np.int8)
        if player != self.current_player():
            return out
        if self.phase == REVEAL:
            legal_pixel_mask(self.mask, g._lit[self.image_index], g.forbid_black, out)
        else:
            out[p:] = 1
            out[p + self.true_label] = 0
        return out

    def is_legal(self, player: int, action: int) -> bool:
        if player != self.current_player():
            return False
        g = self.game
        p = g.n_pixels
        if self.phase == REVEAL:
            if action >= p or self.mask[action]:
                return False
            if g.forbid_black and self.image[action] <= 0:
                return bool(self.legal_actions_mask(player)[action])  # black pixels may be the only ones left
            return True
        return action >= p and action - p != self.true_label

    def illegal_reason(self, player: int, action: int) -> str:
        p = self.game.n_pixels
        if self.phase == REVEAL:
            if action >= p:
                return "labels are claimed before or after the reveals, not during them"
            if self.mask[action]:
                return f"pixel {action} is already revealed"
            return "black pixels are forbidden (forbid_black=True)"
        if action < p:
            return "the liar must claim a label now"
        return f"label {action - p} is the true label; the liar must claim a wrong one"

    def _apply(self, player: int, action: int) -> None:
        g = self.game
        p = g.n_pixels
        if self.phase == REVEAL:
            self.mask[action] = True
            self.revealed_by[action] = 1 + player
            p = g.n_pixels
            self._obs[:, p + action] = 1.0  # the mask
            self._obs[player, 2 * p + action] = 1.0  # own reveals
            self._obs[1 - player, 3 * p + action] = 1.0  # the other's reveals
            self.reveals.append(action)
            w = g.width
            self.log(player, "reveal", pixel=action, row=action // w, col=action % w,
                     value=float(self.image[action]))
            if len(self.reveals) == g.pixels:
                if g.precommit:
                    self._finish()
                else:
                    self._set_phase(CLAIM_LAST)
        else:
            label = action - p
            self.claims[LIAR] = label
            self._show_liar_claim(label)
            self.log(LIAR, "claim", label=label)
            if self.phase == CLAIM_FIRST:
                self._set_phase(REVEAL)
            else:
                self._finish()
        self._current = self._whose_turn()

    def _finish(self) -> None:
        self.verdict = self.game.judge.decide(self.mask, self.image, (self.claims[HONEST], self.claims[LIAR]))
        self._set_phase(DONE)
        self.log(-1, "verdict", label=self.verdict, correct=self.verdict == self.true_label)

    # --- outcomes -----------------------------------------------------------------------
    def raw_returns(self) -> np.ndarray:
        if self.verdict is None:
            return np.zeros(2)
        return np.array([1.0, -1.0]) if self.verdict == self.true_label else np.array([-1.0, 1.0])

    def outcome(self) -> dict[str, Any]:
        if self.verdict is None:
            return {}
        correct = self.verdict == self.true_label
        return {
            "image_index": self.image_index,
            "true_label": self.true_label,
            "liar_label": self.claims[LIAR],
            "verdict": self.verdict,
            "judge_correct": correct,
            "judge_wrong": not correct,
            "honest_wins": correct,
            # every revealed pixel equals the image, so a wrong verdict is a deception by true statements
            "revealed_all_true": self.revealed_values_true(),
            "pixels": list(self.reveals),
        }

    def revealed_values_true(self) -> bool:
        """Whether every value shown in the transcript equals the data set's pixel."""
        truth = self.game.data.flat()[self.image_index]
        return all(float(truth[e.data["pixel"]]) == e.data["value"] for e in self.transcript if e.kind == "reveal")

    # --- information --------------------------------------------------------------------
    def observation(self, player: int) -> np.ndarray:
        """``[image, mask, own reveals, other's reveals, honest claim (one-hot), liar claim
        (one-hot, zero until claimed), phase (one-hot of liar-claims-first, reveal,
        liar-claims-last; zero when done), seat]``, in [0, 1]."""
        return self._obs[player].copy()

    def action_to_string(self, player: int, action: int) -> str:
        p = self.game.n_pixels
        if action >= p:
            return f"claim {action - p}"
        w = self.game.width
        return f"reveal ({action // w},{action % w})"

    def render_text(self) -> str:
        h, w = self.game.data.shape
        shades = " .:-=+*#%@"
        lines = [f"image {self.image_index}: honest claims {self.claims[HONEST]}, liar claims "
                 + (str(self.claims[LIAR]) if self.claims[LIAR] >= 0 else "?")]
        lines.append("    " + "".join(f"{c:>3}" for c in range(w)))
        for r in range(h):
            row = []
            for col in range(w):
                i = r * w + col
                ch = shades[min(int(self.image[i] * (len(shades) - 1) + 0.5), len(shades) - 1)]
                tag = {0: " ", 1: "H", 2: "L"}[int(self.revealed_by[i])]
                row.append(f" {tag}{ch}")
            lines.append(f"{r:>3} " + "".join(row))
        lines.append(f"revealed {len(self.reveals)}/{self.game.pixels} (H honest, L liar); "
                     f"phase: {_PHASE_NAMES[self.phase]}")
        if self.verdict is not None:
            lines.append(f"judge says {self.verdict}: {'honest' if self.verdict == self.true_label else 'liar'} wins")
        return "\n".join(lines)

    def render_rgb(self, scale: int = 16) -> np.ndarray:
        h, w = self.game.data.shape
        grey = (self.image.reshape(h, w) * 255).astype(np.uint8)
        img = np.repeat(np.repeat(grey, scale, 0), scale, 1)
        rgb = np.stack([img] * 3, axis=-1)
        colours = {1: (40, 200, 60), 2: (220, 40, 40)}
        b = max(1, scale // 6)
        for i in np.flatnonzero(self.revealed_by):
            r, c = divmod(int(i), w)
            col = colours[int(self.revealed_by[i])]
            y0, x0 = r * scale, c * scale
            rgb[y0:y0 + b, x0:x0 + scale] = col
            rgb[y0 + scale - b:y0 + scale, x0:x0 + scale] = col
            rgb[y0:y0 + scale, x0:x0 + b] = col
            rgb[y0:y0 + scale, x0 + scale - b:x0 + scale] = col
        return rgb

    # --- search -------------------------------------------------------------------------
    def evaluate(self) -> np.ndarray:
        """Values of this position for (honest, liar) by :func:`honest_value` (zero-sum);
        see :meth:`PixelDebateGame.evaluate_batch`."""
        return self.game.evaluate_batch([self])[0]

    def assume_lie(self, label: int) -> None:
        """Search this state (and its clones) as the liar who will claim ``label``: positions
        whose lie is not claimed yet are valued against it, and the liar's claims
        (:meth:`forced_move`) name it. The paper's evaluation without precommit plays one
        game per lie, the liar knowing its target; the honest debater never knows it."""
        label = check_int("label", label, 0, self.game.num_classes - 1)
        if label == self.true_label:
            raise ValueError(f"label={label} is not a lie for image {self.image_index} (its true label)")
        if self.current_player() == HONEST:
            raise ValueError(f"label={label}: the honest debater never knows the liar's lie; "
                             "only the liar searches with an assumed lie")
        self.assumed_lie = label

    def best_final_claim(self) -> int:
        """The liar's best last claim without precommit: the wrong label with the highest judge
        logit (the lowest such label on equal logits), the lie :func:`honest_value` assumes
        for an unknown liar. It wins whenever any lie wins."""
        z = self.game.judge.logits(self.mask, self.image)
        z = np.where(np.arange(len(z)) == self.true_label, -np.inf, z)
        return int(np.argmax(z))

    def forced_move(self) -> int | None:
        """A claim that needs no search (the search agents' forced-move hook): the liar's last
        claim without precommit (its assumed lie, else :meth:`best_final_claim`, an exact best
        move), and its first claim when it assumes a lie. None elsewhere."""
        if self.phase == CLAIM_LAST:
            lie = self.assumed_lie if self.assumed_lie >= 0 else self.best_final_claim()
            return self.game.label_action(lie)
        if self.phase == CLAIM_FIRST and self.assumed_lie >= 0:
            return self.game.label_action(self.assumed_lie)
        return None

    def evaluation_is_exact(self) -> bool:
        """Whether :meth:`evaluate` is the exact game value: a finished debate, or all
        pixels revealed with only the liar's last claim to come (its best claim, the lie
        with the highest logit, or the lie it assumes, decides the verdict)."""
        return self.phase in (CLAIM_LAST, DONE)

    def clone(self) -> PixelDebateState:
        new = object.__new__(PixelDebateState)
        new.__dict__.update(self.__dict__)
        new.claims = list(self.claims)
        new.mask = self.mask.copy()
        new.revealed_by = self.revealed_by.copy()
        new._obs = self._obs.copy()
        new.reveals = list(self.reveals)
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        return new


# PettingZoo's module-level factories: env(), raw_env(), parallel_env()
env, raw_env, parallel_env = pettingzoo_factories(PixelDebateGame)
