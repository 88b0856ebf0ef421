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
  if it wins any of them (see ``scenarios/pixel_debate.py``).

Setup details the paper leaves open, and our choices: the honest debater moves first
(``first="liar"`` reverses it); debaters may reveal black pixels unless
``forbid_black=True``; the judge is trained on masks drawn from all pixels (or non-zero
pixels only when ``forbid_black``), so what debaters can reveal is what it was trained on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.core.aec import KernelAECEnv, KernelParallelEnv
from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.payoffs import PayoffScheme
from oversight_gym.envs.debate.data import ImageData, load_dataset
from oversight_gym.envs.debate.judge import JudgeConfig, SparseJudge, get_judge, random_masks

HONEST, LIAR = 0, 1
LIAR_LABEL_MODES = ("random", "judge", "choose")
# phases
CLAIM_FIRST, REVEAL, CLAIM_LAST, DONE = 0, 1, 2, 3
_PHASE_NAMES = ("liar claims", "reveal", "liar claims", "done")


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
    judge: a trained :class:`SparseJudge`; by default one is trained (or loaded from the
        disk cache) with ``judge_hidden``, ``judge_steps`` and ``judge_seed``.
    payoff: a payoff scheme (zero-sum by default).
    """

    name = "debate/pixels-v0"
    player_names = ("honest", "liar")
    reset_options = ("image_index", "liar_label")

    def __init__(
        self,
        pixels: int = 6,
        precommit: bool = True,
        liar_label: str | int = "random",
        first: str = "honest",
        forbid_black: bool = False,
        dataset: str = "digits",
        split: str = "test",
        judge: SparseJudge | None = None,
        judge_hidden: int = 128,
        judge_steps: int = 10000,
        judge_seed: int = 0,
        payoff: PayoffScheme | None = None,
    ) -> None:
        super().__init__(payoff)
        check_choice("split", split, ("test", "train"))
        check_choice("first", first, ("honest", "liar"))
        if not isinstance(precommit, bool | np.bool_):
            raise ValueError(f"precommit must be True or False, got {precommit!r}")
        if not isinstance(forbid_black, bool | np.bool_):
            raise ValueError(f"forbid_black must be True or False, got {forbid_black!r}")
        train, test = load_dataset(dataset)
        self.data: ImageData = test if split == "test" else train
        n_pix = self.data.num_pixels
        self.pixels = check_int("pixels", pixels, 1, n_pix)
        self.precommit = bool(precommit)
        self.num_classes = int(max(train.labels.max(), test.labels.max())) + 1
        self.liar_label = self._check_liar_label(liar_label)
        self.first = first
        self.forbid_black = bool(forbid_black)
        self.dataset = dataset
        self.split = split
        if judge is None:
            cfg = JudgeConfig(pixels=self.pixels, hidden=judge_hidden, steps=judge_steps, seed=judge_seed,
                              pixel_pool="nonzero" if forbid_black else "all")
            judge = get_judge(train, cfg)
        if judge.num_pixels != n_pix:
            raise ValueError(f"judge: expects {judge.num_pixels} pixels, the data set has {n_pix}")
        self.judge = judge
        self._flat = self.data.flat().astype(np.float64)
        self._judge_lie_cache: dict[int, int] = {}

    # --- spaces -------------------------------------------------------------------------
    def num_distinct_actions(self) -> int:
        return self.data.num_pixels + self.num_classes

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
        """A new debate on test image ``image_index`` (random if None). ``liar_label``
        overrides the game's liar-label mode for this debate (precommit only), so an
        evaluation can play one game per possible lie without building nine games."""
        n = len(self.data)
        if image_index is None:
            image_index = int(rng.integers(n))
        else:
            image_index = check_int("image_index", image_index, 0, n - 1)
        mode = self.liar_label if liar_label is None else self._check_liar_label(liar_label)
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

    def _check_liar_label(self, liar_label: str | int) -> str | int:
        if isinstance(liar_label, str):
            check_choice("liar_label", liar_label, LIAR_LABEL_MODES + tuple(str(d) for d in range(self.num_classes)))
            liar_label = int(liar_label) if liar_label.isdigit() else liar_label
        else:
            liar_label = check_int("liar_label", liar_label, 0, self.num_classes - 1)
        if not self.precommit and liar_label != "random":
            raise ValueError(
                f"liar_label={liar_label!r} needs precommit=True: without precommit the liar "
                "names its label after the reveals"
            )
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
        self.reveals: list[int] = []
        self.verdict: int | None = None
        self.phase = CLAIM_FIRST if (game.precommit and liar_label is None) else REVEAL
        self.log(-1, "start", image_index=image_index, true_label=self.true_label)
        self.log(HONEST, "claim", label=self.true_label)
        if liar_label is not None:
            self.log(LIAR, "claim", label=liar_label)

    # --- turns --------------------------------------------------------------------------
    def current_player(self) -> int:
        if self.phase == REVEAL:
            first = HONEST if self.game.first == "honest" else LIAR
            return first if len(self.reveals) % 2 == 0 else 1 - first
        if self.phase in (CLAIM_FIRST, CLAIM_LAST):
            return LIAR
        return TERMINAL

    def legal_actions_mask(self, player: int) -> np.ndarray:
        g = self.game
        out = np.zeros(g.num_distinct_actions(), dtype=np.int8)
        if player != self.current_player():
            return out
        p = g.data.num_pixels
        if self.phase == REVEAL:
            free = ~self.mask
            if g.forbid_black:
                lit = free & (self.image > 0)
                free = lit if lit.any() else free  # fewer lit pixels than k: black ones become legal
            out[:p] = free
        else:
            out[p:] = 1
            out[p + self.true_label] = 0
        return out

    def illegal_reason(self, player: int, action: int) -> str:
        p = self.game.data.num_pixels
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
        p = g.data.num_pixels
        if self.phase == REVEAL:
            self.mask[action] = True
            self.revealed_by[action] = 1 + player
            self.reveals.append(action)
            w = g.data.shape[1]
            self.log(player, "reveal", pixel=action, row=action // w, col=action % w,
                     value=float(self.image[action]))
            if len(self.reveals) == g.pixels:
                if g.precommit:
                    self._finish()
                else:
                    self.phase = CLAIM_LAST
        else:
            label = action - p
            self.claims[LIAR] = label
            self.log(LIAR, "claim", label=label)
            if self.phase == CLAIM_FIRST:
                self.phase = REVEAL
            else:
                self._finish()

    def _finish(self) -> None:
        self.verdict = self.game.judge.decide(self.mask, self.image, (self.claims[HONEST], self.claims[LIAR]))
        self.phase = DONE
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
        g = self.game
        c = g.num_classes
        own = (self.revealed_by == 1 + player).astype(np.float32)
        other = (self.revealed_by == 2 - player).astype(np.float32)
        honest_claim = np.zeros(c, np.float32)
        honest_claim[self.claims[HONEST]] = 1.0
        liar_claim = np.zeros(c, np.float32)
        liar_visible = self.claims[LIAR] >= 0 and (g.precommit or player == LIAR or self.phase == DONE)
        if liar_visible:
            liar_claim[self.claims[LIAR]] = 1.0
        phase = np.zeros(3, np.float32)  # one-hot of CLAIM_FIRST, REVEAL, CLAIM_LAST; all zero when done
        if self.phase != DONE:
            phase[self.phase] = 1.0
        seat = np.array([float(player)], np.float32)
        return np.concatenate([self.image.astype(np.float32), self.mask.astype(np.float32), own, other,
                               honest_claim, liar_claim, phase, seat])

    def action_to_string(self, player: int, action: int) -> str:
        p = self.game.data.num_pixels
        if action >= p:
            return f"claim {action - p}"
        w = self.game.data.shape[1]
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
        lines.append(f"revealed {len(self.reveals)}/{self.game.pixels} (H honest, L liar); phase: {_PHASE_NAMES[self.phase]}")
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

    def clone(self) -> PixelDebateState:
        new = object.__new__(PixelDebateState)
        new.__dict__.update(self.__dict__)
        new.claims = list(self.claims)
        new.mask = self.mask.copy()
        new.revealed_by = self.revealed_by.copy()
        new.reveals = list(self.reveals)
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        return new


def raw_env(render_mode: str | None = None, **kwargs: Any) -> KernelAECEnv:
    """The AEC view without PettingZoo's order-enforcing wrapper."""
    return KernelAECEnv(PixelDebateGame(**kwargs), render_mode=render_mode)


def env(render_mode: str | None = None, **kwargs: Any):
    """The AEC view, wrapped as PettingZoo's classic environments are."""
    from pettingzoo.utils import wrappers

    return wrappers.OrderEnforcingWrapper(raw_env(render_mode=render_mode, **kwargs))


def parallel_env(render_mode: str | None = None, **kwargs: Any) -> KernelParallelEnv:
    return KernelParallelEnv(PixelDebateGame(**kwargs), render_mode=render_mode)
