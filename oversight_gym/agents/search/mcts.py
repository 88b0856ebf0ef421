"""Monte Carlo tree search with the PUCT rule of AlphaGo Zero, for any sequential
two-player zero-sum kernel.

Irving, Christiano and Amodei (2018, "AI safety via debate", arXiv 1805.00899,
section 3.1) play the sparse-pixel debate with "pure Monte Carlo tree search": 10,000
rollouts per move, each descending to a leaf that the judge evaluates, nodes chosen by
the PUCT rule of AlphaGo Zero (Silver et al. 2017, "Mastering the game of Go without
human knowledge", Nature 550, 354-359). Each rollout here:

1. *selects* from the root the edge maximising ``Q(s,a) + c_puct P(s,a) sqrt(N(s)) / (1 + N(s,a))``,
   with uniform priors ``P`` over the legal actions (there is no policy network),
   ``Q = 0`` on an unvisited edge and ``N(s)`` the visits of the node's edges; the
   lowest action wins ties;
2. *expands* the first node not in the tree (its edges are created) and *evaluates*
   it: by the game's ``evaluate_batch`` hook, or for a game without one by a uniformly
   random play-out to the end; a terminal position (or one whose value the kernel
   declares exact, ``State.evaluation_is_exact()``) is never expanded;
3. *backs up* the value: every edge on the path gains one visit and the value from
   the view of the player who chose it.

The move played is the root's most visited action (the lowest on ties). The tree is
built afresh for every move.

Hooks a game may offer
----------------------
Search knows no particular game; a game may offer (all optional):

* ``Game.evaluate_batch(states) -> (n, num_players)``: values of positions in one batch
  (the pixel debate runs its judge once over the stacked masks);
* ``State.evaluation_is_exact()``: the evaluator's value is the game value here;
* ``State.forced_move() -> int | None``: a move that needs no search (an exact best
  move the game can name directly); search agents play it without searching;
* a compiled fast path its family registers with the game
  (``register(..., fast_paths={"mcts": "module:OBJECT"})``): an object with
  ``applies(state) -> bool``, a ``describes`` string for messages and
  ``run(state, rollouts, c_puct, scratch) -> (actions, visits, total values)``, running
  the same algorithm compiled (see :func:`fast_path`).

Engines
-------
``"python"`` is the generic engine: it works on any sequential two-player zero-sum
kernel through ``State.clone()``. With ``batch_size > 1`` it collects that many leaves
before evaluating them in one batch, steering the rollouts of a batch apart with a
virtual loss (each pending rollout counts on its edges as a visit that lost: the virtual
loss of AlphaGo, Silver et al. 2016, whose successor AlphaGo Zero evaluates leaves in
mini-batches of 8; it is kept apart from the real statistics and removed on backup).
``"numba"`` is the game's compiled fast path, one leaf at a time (``batch_size`` does not
apply to it); ``"auto"`` takes it where it applies, python otherwise. A fast path must run
the same search: same visit counts, same move, up to floating-point rounding.

``c_puct``
----------
AlphaGo Zero does not publish its constant; AlphaZero's pseudocode starts at
``c_init = 1.25``. Here values lie in ``[-1, 1]``; with ~60 legal moves sharing a uniform
prior (the pixel debate), at the root after 10,000 rollouts an edge's exploration term is
``c_puct * 100 / 60 / (1 + n)``: with the default 1.0 an edge whose mean trails the best by
0.5 keeps receiving visits until about ``n = 3`` and one trailing by 0.1 until ``n = 16``,
which spreads the search across the moves that are close without starving the best one.
Measured (``benchmarks/bench_pixel_debate.py --sweep-c-puct``): on 64 six-pixel positions
whose moves differ in exact value (solved by :mod:`oversight_gym.agents.search.minimax`),
10,000 rollouts found an optimal move in 64/64 positions at ``c_puct = 1`` and 62-63/64
at 0.25, 0.5 and 1.5-5; with 1,000 rollouts, values from 1 to 5 did about equally well
(62-64/64) and smaller ones worse (57-59/64).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_choice, check_float, check_int
from oversight_gym.core.game import SIMULTANEOUS, State
from oversight_gym.core.protocols import Classifier

#: a batch evaluator: states -> ``(n, num_players)`` values
Evaluator = Callable[[Sequence[State]], np.ndarray]

ENGINES = ("auto", "numba", "python")


# --- evaluators and helpers shared by the search agents ----------------------------------------
def random_playout_values(states: Sequence[State], rng: np.random.Generator) -> np.ndarray:
    """Each state's ``returns()`` after uniformly random play to the end (on a clone)."""
    out = []
    for state in states:
        s = state.clone()
        while not s.is_terminal():
            p = s.current_player()
            if p == SIMULTANEOUS:
                raise ValueError(f"{s.game.name}: search agents need a sequential game (one player moves at a time)")
            s.apply_action(int(rng.choice(np.flatnonzero(s.legal_actions_mask(p)))))
        out.append(np.asarray(s.returns(), dtype=np.float64))
    return np.array(out, dtype=np.float64).reshape(len(states), -1)


def make_evaluator(game: Any, rng: np.random.Generator) -> tuple[Evaluator, bool]:
    """``(evaluator, from_game)``: the game's ``evaluate_batch`` hook when it has one, else
    random play-outs to the end."""
    batch = getattr(game, "evaluate_batch", None)
    if batch is None:
        return (lambda states: random_playout_values(states, rng)), False
    return batch, True


def is_exact(state: State, from_game: bool) -> bool:
    """A leaf whose value is final: terminal, or declared exact by a kernel evaluator."""
    if state.is_terminal():
        return True
    return from_game and bool(getattr(state, "evaluation_is_exact", bool)())


def exact_leaf_values(states: Sequence[State], evaluator: Evaluator, from_game: bool) -> np.ndarray:
    """Values of positions: the evaluator's, except terminal positions of a game without
    an evaluator, which are worth their ``returns()``."""
    if from_game:
        return evaluator(states)
    rows = [np.asarray(s.returns(), dtype=np.float64) if s.is_terminal() else None for s in states]
    todo = [i for i, r in enumerate(rows) if r is None]
    if todo:
        vals = evaluator([states[i] for i in todo])
        for j, i in enumerate(todo):
            rows[i] = vals[j]
    return np.array(rows, dtype=np.float64).reshape(len(states), -1)


def sequential_player(state: State) -> int:
    p = state.current_player()
    if p == SIMULTANEOUS:
        raise ValueError(f"{state.game.name}: search agents need a sequential game (one player moves at a time)")
    if p < 0:
        raise ValueError("the game is over: there is no move to search")
    return p


def child_states(state: State, player: int) -> tuple[np.ndarray, list[State]]:
    """The legal actions of ``player`` (increasing) and the state after each."""
    actions = np.flatnonzero(state.legal_actions_mask(player))
    children = []
    for a in actions:
        child = state.clone()
        child.apply_action(int(a))
        children.append(child)
    return actions, children


def forced_move(state: State) -> int | None:
    """The game's ``State.forced_move()`` hook: a move to play without searching, or None."""
    hook = getattr(state, "forced_move", None)
    return None if hook is None else hook()


def registered_fast_path(game: Any, kind: str) -> Any:
    """The compiled fast path of ``kind`` (``"mcts"``, ``"minimax"``) that the game's family
    registered with the game (``register(..., fast_paths=...)``), or None."""
    from oversight_gym.core.registry import resolve, spec

    try:
        target = spec(game.name).fast_paths.get(kind)
    except KeyError:  # a game that is not registered
        return None
    return None if target is None else resolve(target)


def choose_engine(engine: str, state: State, kind: str) -> tuple[str, Any]:
    """``(engine, fast path)`` for ``state``: ``"auto"`` takes the game's compiled fast path
    where it applies; ``"numba"`` where none applies is an error naming ``engine``."""
    path = registered_fast_path(state.game, kind)
    applies = path is not None and bool(path.applies(state))
    if engine == "numba" and not applies:
        where = (f"{state.game.name} registers no compiled {kind} fast path" if path is None
                 else f"the fast path of {state.game.name} searches {path.describes}")
        raise ValueError(f"engine='numba' needs a compiled fast path for this position, and {where}; "
                         "use engine='auto' or 'python'")
    return ("numba", path) if applies and engine != "python" else ("python", None)


# --- the search result -------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchResult:
    """The root's statistics: legal ``actions`` (increasing), their ``visits`` and mean
    ``values`` (for the player to move; 0 where unvisited), and the ``engine`` used."""

    actions: np.ndarray
    visits: np.ndarray
    values: np.ndarray
    engine: str

    def best_action(self) -> int:
        """The most visited action, the lowest on ties."""
        return int(self.actions[int(np.argmax(self.visits))])


def _result(actions: np.ndarray, n: np.ndarray, w: np.ndarray, engine: str) -> SearchResult:
    q = np.divide(w, n, out=np.zeros(len(n)), where=n > 0)
    return SearchResult(np.asarray(actions, dtype=np.int64), np.asarray(n, dtype=np.float64), q, engine)


# --- the generic engine ------------------------------------------------------------------------
class _Node:
    __slots__ = ("state", "player", "actions", "n", "w", "vl", "children", "total", "vl_total", "exact",
                 "value", "ready")

    def __init__(self, state: State) -> None:
        self.state = state
        self.ready = False  # evaluated and expanded
        self.exact = False
        self.value: np.ndarray | None = None
        self.total = 0.0
        self.vl_total = 0.0

    def expand(self, value: np.ndarray, exact: bool) -> None:
        self.value = value
        self.exact = exact
        if not exact:
            self.player = sequential_player(self.state)
            self.actions = np.flatnonzero(self.state.legal_actions_mask(self.player))
            m = len(self.actions)
            if m == 0:
                raise ValueError(f"{self.state.game.name}: a non-terminal state without legal actions")
            self.n = np.zeros(m)
            self.w = np.zeros(m)
            self.vl = np.zeros(m)
            self.children: list[_Node | None] = [None] * m
        self.ready = True

    def select(self, c_puct: float) -> int:
        # fast paths must do the same arithmetic in the same order, so that the engines agree
        n = self.n + self.vl
        w = self.w - self.vl
        q = np.divide(w, n, out=np.zeros(len(n)), where=n > 0.0)
        u0 = c_puct * (1.0 / len(n)) * math.sqrt(self.total + self.vl_total)
        return int(np.argmax(q + u0 / (1.0 + n)))


def generic_mcts(root_state: State, rollouts: int, c_puct: float, batch_size: int, evaluator: Evaluator,
                 from_game: bool) -> SearchResult:
    """PUCT search from ``root_state`` on clones (see the module docstring); ``evaluator``
    values leaves in batches of up to ``batch_size`` with virtual loss between them."""
    root = _Node(root_state)
    root.expand(np.zeros(root_state.game.num_players), False)
    done = 0
    while done < rollouts:
        sims: list[tuple[list[tuple[_Node, int]], _Node]] = []
        new: list[_Node] = []
        for _ in range(min(batch_size, rollouts - done)):
            node = root
            path: list[tuple[_Node, int]] = []
            while node.ready and not node.exact:
                i = node.select(c_puct)
                path.append((node, i))
                node.vl[i] += 1.0
                node.vl_total += 1.0
                child = node.children[i]
                if child is None:
                    state = node.state.clone()
                    state.apply_action(int(node.actions[i]))
                    child = node.children[i] = _Node(state)
                    new.append(child)
                node = child
            sims.append((path, node))
        if new:
            values = exact_leaf_values([leaf.state for leaf in new], evaluator, from_game)
            for leaf, v in zip(new, values, strict=True):
                leaf.expand(v, is_exact(leaf.state, from_game))
        for path, leaf in sims:
            v = leaf.value
            assert v is not None
            for node, i in path:
                node.vl[i] -= 1.0
                node.vl_total -= 1.0
                node.n[i] += 1.0
                node.w[i] += v[node.player]
                node.total += 1.0
        done += len(sims)
    return _result(root.actions, root.n, root.w, "python")


# --- the agent ---------------------------------------------------------------------------------
class MCTSAgent(BaseAgent):
    """Pure MCTS with the PUCT rule of AlphaGo Zero, as the debaters of Irving et al.
    (2018) play; see the module docstring.

    Parameters
    ----------
    rollouts: rollouts per move (10,000 in the paper).
    c_puct: exploration constant of PUCT (>= 0).
    batch_size: leaves evaluated together by the generic engine, with virtual loss.
    engine: ``"auto"``, ``"numba"`` (the game's compiled fast path) or ``"python"``.
    seed: seeds the random play-outs of games without an evaluator.
    """

    name = "mcts"
    description = "Monte Carlo tree search, PUCT rule of AlphaGo Zero (Silver et al. 2017)"
    classifier = Classifier(deterministic=True, uses_search=True)
    requires_state = True

    def __init__(self, rollouts: int = 10_000, c_puct: float = 1.0, batch_size: int = 1, engine: str = "auto",
                 seed: int | None = None) -> None:
        self.rollouts = check_int("rollouts", rollouts, 1)
        self.c_puct = check_float("c_puct", c_puct, 0.0, 1e9)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.engine = str(check_choice("engine", engine, ENGINES))
        self.seed = None if seed is None else check_int("seed", seed)
        super().__init__(self.seed)
        self._scratch: dict[str, Any] = {}  # buffers a fast path keeps between searches
        self.last_search: SearchResult | None = None

    def search(self, state: State) -> SearchResult:
        """Run ``rollouts`` rollouts from ``state`` (not modified) and return the root's statistics."""
        sequential_player(state)
        engine, path = choose_engine(self.engine, state, "mcts")
        if path is not None:
            actions, n, w = path.run(state, self.rollouts, self.c_puct, self._scratch)
            return _result(actions, n, w, engine)
        evaluator, from_game = make_evaluator(state.game, self.rng)
        return generic_mcts(state, self.rollouts, self.c_puct, self.batch_size, evaluator, from_game)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        move = forced_move(state)
        if move is not None:
            return move
        self.last_search = self.search(state)
        return self.last_search.best_action()

    def __repr__(self) -> str:
        return (f"MCTSAgent(rollouts={self.rollouts}, c_puct={self.c_puct}, batch_size={self.batch_size}, "
                f"engine={self.engine!r})")
