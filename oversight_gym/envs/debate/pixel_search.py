"""The compiled search paths of the pixel debate (Irving, Christiano, Amodei 2018, "AI safety
via debate", section 3.1): Monte Carlo tree search and an exact alpha-beta solver in numba,
registered with ``debate/pixels-v0`` as the fast paths ``MCTS_FAST_PATH`` and
``MINIMAX_FAST_PATH`` that the generic search agents take where they apply (see
:mod:`oversight_gym.agents.search.mcts`).

The paper's debaters run 10,000 rollouts of pure MCTS per move, nodes chosen by the
PUCT rule of AlphaGo Zero (Silver et al. 2017, "Mastering the game of Go without human
knowledge", Nature 550), each rollout descending to a leaf that the judge evaluates.
This module runs exactly the algorithm of the generic engine in
:mod:`oversight_gym.agents.search.mcts` (same selection, expansion, backup and tie
breaks) with no Python per rollout:

* the tree lives in preallocated flat arrays (a node is a block of contiguous edges);
* the judge's hidden pre-activation is carried down the tree incrementally: revealing
  pixel ``p`` adds column ``p`` of :meth:`SparseJudge.pixel_columns` (H adds), and a
  leaf costs a ReLU plus ``2 H`` multiply-adds for the two claimed labels' logits
  (``C H`` when the lie is not known yet);
* the leaf value is :func:`oversight_gym.envs.debate.pixels.honest_value`, the kernel's
  own rule, compiled by numba (not a copy).

The exact solver (:func:`pixel_minimax`) keeps the judge's hidden pre-activation per depth
(one H-vector add per reveal), orders children by the judge's value for the mover, and
values every final position at exactly +1/-1, so a winning reply cuts the search at once;
it solves up to about four reveals from the start in seconds.

Both paths search a state as its searcher believes it: a liar who assumes its target lie
(:meth:`PixelDebateState.assume_lie`) values unclaimed positions against that lie.

Agreement with the generic engine is exact up to floating point: this path sums pixel
columns where the kernel multiplies the stacked mask through the judge, so the two
engines' leaf values differ in the last bits, which changes a decision only when two
PUCT scores (or the two claimed logits) are equal to within rounding.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
from numba import njit

from oversight_gym.core.numba_cache import drop_stale_caches
from oversight_gym.envs.debate.judge import SparseJudge
from oversight_gym.envs.debate.pixels import (
    CLAIM_FIRST,
    HONEST,
    LIAR,
    REVEAL,
    PixelDebateState,
    honest_value,
    legal_pixels,
)

# the kernel's value rule, compiled (the same Python function, not a copy)
rule_nb = njit(cache=True)(honest_value)


# --- shared numba helpers (MCTS and the exact solver) ---------------------------------------------
@njit(cache=True)
def leaf_value(h: np.ndarray, relu: np.ndarray, z: np.ndarray, w2t: np.ndarray, b2: np.ndarray,
               true_label: int, liar_label: int, final: bool) -> float:
    """The rule's honest value at hidden pre-activation ``h``: ReLU, then only the logits
    the rule reads (the two claimed labels, or all when the lie is unknown)."""
    hid = h.shape[0]
    for j in range(hid):
        relu[j] = h[j] if h[j] > 0.0 else 0.0
    if liar_label >= 0:
        acc = 0.0
        for j in range(hid):
            acc += relu[j] * w2t[true_label, j]
        z[true_label] = acc + b2[true_label]
        acc = 0.0
        for j in range(hid):
            acc += relu[j] * w2t[liar_label, j]
        z[liar_label] = acc + b2[liar_label]
    else:
        for c in range(z.shape[0]):
            acc = 0.0
            for j in range(hid):
                acc += relu[j] * w2t[c, j]
            z[c] = acc + b2[c]
    return rule_nb(z, true_label, liar_label, final)


@njit(cache=True)
def mover(nrev: int, first: int) -> int:
    """Who reveals next after ``nrev`` reveals."""
    return first if nrev % 2 == 0 else 1 - first


@njit(cache=True)
def _mcts(cols: np.ndarray, b1: np.ndarray, w2t: np.ndarray, b2: np.ndarray, lit: np.ndarray, forbid_black: bool,
          root_revealed: np.ndarray, root_nrev: int, k: int, first: int, claim_root: bool, true_label: int,
          root_liar: int, rollouts: int, c_puct: float,
          node_first: np.ndarray, node_nedges: np.ndarray, node_sum: np.ndarray, node_player: np.ndarray,
          node_final: np.ndarray, node_value: np.ndarray, node_liar: np.ndarray,
          edge_action: np.ndarray, edge_n: np.ndarray, edge_w: np.ndarray, edge_child: np.ndarray) -> int:
    """``rollouts`` PUCT rollouts from the root (node 0); the tree is left in the node and
    edge arrays (a node's edges are ``node_first[n] .. + node_nedges[n]``, in increasing
    action order). Returns the number of nodes used."""
    p_count = cols.shape[0]
    n_classes = b2.shape[0]
    hid = cols.shape[1]
    h0 = b1.copy()
    for p in range(p_count):
        if root_revealed[p]:
            for j in range(hid):
                h0[j] += cols[p, j]
    h = np.empty(hid)
    relu = np.empty(hid)
    z = np.zeros(n_classes)
    revealed = root_revealed.copy()
    scratch = np.empty(p_count, np.int64)
    path_node = np.empty(k + 2, np.int64)
    path_edge = np.empty(k + 2, np.int64)

    # the root: expanded before the first rollout (uniform priors need no evaluation)
    n_nodes = 1
    n_edges = 0
    node_first[0] = 0
    node_sum[0] = 0.0
    node_final[0] = False
    node_value[0] = 0.0
    node_liar[0] = root_liar
    if claim_root:
        node_player[0] = LIAR
        for c in range(n_classes):
            if c != true_label:
                edge_action[n_edges] = p_count + c
                n_edges += 1
    else:
        node_player[0] = mover(root_nrev, first)
        m = legal_pixels(revealed, lit, forbid_black, scratch)
        for i in range(m):
            edge_action[n_edges] = scratch[i]
            n_edges += 1
    node_nedges[0] = n_edges
    for e in range(n_edges):
        edge_n[e] = 0.0
        edge_w[e] = 0.0
        edge_child[e] = -1

    for _ in range(rollouts):
        node = 0
        depth = 0
        nrev = root_nrev
        liar = root_liar
        for j in range(hid):
            h[j] = h0[j]
        v = 0.0
        while True:
            if node_final[node]:
                v = node_value[node]
                break
            # PUCT (Silver et al. 2017): Q + c_puct * P * sqrt(N_parent) / (1 + N_child), P uniform,
            # Q = 0 for an unvisited edge; the first maximum (lowest action) wins ties
            start = node_first[node]
            ne = node_nedges[node]
            u0 = c_puct * (1.0 / ne) * math.sqrt(node_sum[node])
            best = start
            best_score = -math.inf
            for e in range(start, start + ne):
                n = edge_n[e]
                q = edge_w[e] / n if n > 0.0 else 0.0
                s = q + u0 / (1.0 + n)
                if s > best_score:
                    best_score = s
                    best = e
            path_node[depth] = node
            path_edge[depth] = best
            depth += 1
            a = edge_action[best]
            if a < p_count:
                for j in range(hid):
                    h[j] += cols[a, j]
                revealed[a] = True
                nrev += 1
            else:
                liar = a - p_count
            child = edge_child[best]
            if child >= 0:
                node = child
                continue
            # a new leaf: evaluate it by the judge and expand it
            child = n_nodes
            n_nodes += 1
            edge_child[best] = child
            final = nrev == k
            v = leaf_value(h, relu, z, w2t, b2, true_label, liar, final)
            node_liar[child] = liar
            node_sum[child] = 0.0
            node_value[child] = v
            node_final[child] = final
            node_player[child] = mover(nrev, first)
            node_first[child] = n_edges
            m = 0
            if not final:
                m = legal_pixels(revealed, lit, forbid_black, scratch)
                for i in range(m):
                    e = n_edges + i
                    edge_action[e] = scratch[i]
                    edge_n[e] = 0.0
                    edge_w[e] = 0.0
                    edge_child[e] = -1
            node_nedges[child] = m
            n_edges += m
            break
        # back up the honest value, each edge from the view of the player who chose it
        for d in range(depth):
            nd = path_node[d]
            e = path_edge[d]
            edge_n[e] += 1.0
            edge_w[e] += v if node_player[nd] == HONEST else -v
            node_sum[nd] += 1.0
            a = edge_action[e]
            if a < p_count:
                revealed[a] = root_revealed[a]
    return n_nodes


#: bytes the search tree's buffers take per rollout: a node (7 arrays, 42 bytes) and, on the
#: 8x8 digits, 64 edges of 24 bytes (4 arrays)
BYTES_PER_ROLLOUT = 42 + 64 * 24
#: the most rollouts one search runs: its buffers stay under ~1.5 GiB (and edge indices in int32)
MAX_ROLLOUTS = 1_000_000


class TreeBuffers:
    """Preallocated node and edge arrays, grown on demand and reused across searches.

    Room is made for the worst case, every rollout adding a node with an edge per pixel:
    24 bytes per edge, so about 1.5 KB per rollout on the 8x8 digits (15 MB for the
    paper's 10,000 rollouts).
    """

    def __init__(self) -> None:
        self.nodes = 0
        self.edges = 0

    def ensure(self, nodes: int, edges: int) -> None:
        if nodes > self.nodes:
            self.nodes = nodes
            self.node_first = np.empty(nodes, np.int64)
            self.node_nedges = np.empty(nodes, np.int64)
            self.node_sum = np.empty(nodes, np.float64)
            self.node_player = np.empty(nodes, np.int8)
            self.node_final = np.empty(nodes, np.bool_)
            self.node_value = np.empty(nodes, np.float64)
            self.node_liar = np.empty(nodes, np.int64)
        if edges > self.edges:
            self.edges = edges
            self.edge_action = np.empty(edges, np.int32)
            self.edge_n = np.empty(edges, np.float64)
            self.edge_w = np.empty(edges, np.float64)
            self.edge_child = np.empty(edges, np.int32)


class JudgeArrays:
    """The judge's weights laid out for the compiled paths (second layer transposed)."""

    def __init__(self, judge: SparseJudge) -> None:
        self.b1 = np.ascontiguousarray(judge.b1, dtype=np.float64)
        self.w2t = np.ascontiguousarray(judge.w2.T, dtype=np.float64)
        self.b2 = np.ascontiguousarray(judge.b2, dtype=np.float64)


_JUDGES: weakref.WeakKeyDictionary[SparseJudge, JudgeArrays] = weakref.WeakKeyDictionary()


def pixel_inputs(state: PixelDebateState) -> tuple[np.ndarray, JudgeArrays, np.ndarray, np.ndarray]:
    """``(pixel columns, judge arrays, lit pixels, revealed mask)`` of a pixel-debate state."""
    judge = state.game.judge
    arrays = _JUDGES.get(judge)
    if arrays is None:
        arrays = _JUDGES[judge] = JudgeArrays(judge)
    cols = np.ascontiguousarray(judge.pixel_columns(state.image))
    lit = np.ascontiguousarray(state.image > 0)
    return cols, arrays, lit, np.ascontiguousarray(state.mask, dtype=np.bool_)


def pixel_mcts(state: PixelDebateState, rollouts: int, c_puct: float, liar_label: int = -1,
               buffers: TreeBuffers | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Search ``state`` (in the reveal phase, or the liar's first claim) with ``rollouts``
    rollouts; return the root's ``(actions, visit counts, total values)``, the totals
    from the view of the player to move. ``liar_label`` is the lie assumed while it is not
    claimed (-1: the judge's favourite wrong label at each leaf)."""
    if state.phase not in (CLAIM_FIRST, REVEAL):
        raise ValueError(f"the numba search needs a state in the reveal phase or the first claim, got phase "
                         f"{state.phase}")
    if rollouts > MAX_ROLLOUTS:
        raise ValueError(f"rollouts={rollouts} would need ~{rollouts * BYTES_PER_ROLLOUT / 1024**3:.3g} GiB for the "
                         f"search tree; at most {MAX_ROLLOUTS}")
    game = state.game
    cols, arrays, lit, revealed = pixel_inputs(state)
    known = state.claims[LIAR]
    root_liar = known if known >= 0 else liar_label
    width = max(game.data.num_pixels, game.num_classes)
    bufs = buffers if buffers is not None else TreeBuffers()
    bufs.ensure(rollouts + 2, (rollouts + 2) * width)
    b = bufs
    _mcts(cols, arrays.b1, arrays.w2t, arrays.b2, lit, game.forbid_black, revealed, len(state.reveals),
          game.pixels, HONEST if game.first == "honest" else LIAR, state.phase == CLAIM_FIRST, state.true_label,
          root_liar, rollouts, float(c_puct),
          b.node_first, b.node_nedges, b.node_sum, b.node_player, b.node_final, b.node_value, b.node_liar,
          b.edge_action, b.edge_n, b.edge_w, b.edge_child)
    ne = int(b.node_nedges[0])
    return b.edge_action[:ne].copy(), b.edge_n[:ne].copy(), b.edge_w[:ne].copy()


# the kernel inlines the pixel debate's value and reveal rules: recompile when they change
drop_stale_caches("pixel_mcts", [leaf_value, _mcts], [honest_value, legal_pixels])


# --- the exact solver (minimax by alpha-beta) ---------------------------------------------------
@njit(cache=True)
def _solve(cols: np.ndarray, w2t: np.ndarray, b2: np.ndarray, lit: np.ndarray, forbid_black: bool,
           revealed: np.ndarray, hs: np.ndarray, acts: np.ndarray, keys: np.ndarray, relu: np.ndarray, z: np.ndarray,
           nrev: int, horizon: int, k: int, first: int, true_label: int, liar: int, alpha: float,
           beta: float) -> float:
    """The honest value of the position with ``nrev`` reveals (pre-activation ``hs[nrev]``),
    fail-soft alpha-beta inside ``[alpha, beta]``; exact when the window is [-1, 1]."""
    if nrev == k or nrev == horizon:
        return leaf_value(hs[nrev], relu, z, w2t, b2, true_label, liar, nrev == k)
    hid = hs.shape[1]
    player = mover(nrev, first)
    m = legal_pixels(revealed, lit, forbid_black, acts[nrev])
    if horizon - nrev >= 2:
        # order the children by the judge's value for the mover: good moves first, early cut-offs
        for i in range(m):
            a = acts[nrev, i]
            for j in range(hid):
                hs[nrev + 1, j] = hs[nrev, j] + cols[a, j]
            v = leaf_value(hs[nrev + 1], relu, z, w2t, b2, true_label, liar, False)
            keys[nrev, i] = -v if player == 0 else v
        order = np.argsort(keys[nrev, :m], kind="mergesort")
    else:
        order = np.arange(m)
    best = -math.inf if player == 0 else math.inf
    for idx in range(m):
        a = acts[nrev, order[idx]]
        revealed[a] = True
        for j in range(hid):
            hs[nrev + 1, j] = hs[nrev, j] + cols[a, j]
        v = _solve(cols, w2t, b2, lit, forbid_black, revealed, hs, acts, keys, relu, z, nrev + 1, horizon, k, first,
                   true_label, liar, alpha, beta)
        revealed[a] = False
        if player == 0:
            if v > best:
                best = v
            if best > alpha:
                alpha = best
        else:
            if v < best:
                best = v
            if best < beta:
                beta = best
        if alpha >= beta:
            break
    return best


@njit(cache=True)
def _root_values(cols: np.ndarray, b1: np.ndarray, w2t: np.ndarray, b2: np.ndarray, lit: np.ndarray,
                 forbid_black: bool, root_revealed: np.ndarray, root_nrev: int, horizon: int, k: int, first: int,
                 claim_root: bool, true_label: int, root_liar: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact honest value, and the judge's honest value one ply ahead, of every root move."""
    p_count, hid = cols.shape
    n_classes = b2.shape[0]
    hs = np.empty((k + 1, hid))
    acts = np.empty((k + 1, p_count), np.int64)
    keys = np.empty((k + 1, p_count))
    relu = np.empty(hid)
    z = np.zeros(n_classes)
    revealed = root_revealed.copy()
    for j in range(hid):
        hs[root_nrev, j] = b1[j]
    for p in range(p_count):
        if revealed[p]:
            for j in range(hid):
                hs[root_nrev, j] += cols[p, j]
    if claim_root:
        actions = np.empty(n_classes - 1, np.int64)
        exact = np.empty(n_classes - 1)
        greedy = np.empty(n_classes - 1)
        i = 0
        for c in range(n_classes):
            if c == true_label:
                continue
            actions[i] = p_count + c
            greedy[i] = leaf_value(hs[root_nrev], relu, z, w2t, b2, true_label, c, root_nrev == k)
            exact[i] = _solve(cols, w2t, b2, lit, forbid_black, revealed, hs, acts, keys, relu, z, root_nrev,
                              horizon, k, first, true_label, c, -1.0, 1.0)
            i += 1
        return actions, exact, greedy
    m = legal_pixels(revealed, lit, forbid_black, acts[root_nrev])
    actions = acts[root_nrev, :m].copy()
    exact = np.empty(m)
    greedy = np.empty(m)
    for i in range(m):
        a = actions[i]
        revealed[a] = True
        for j in range(hid):
            hs[root_nrev + 1, j] = hs[root_nrev, j] + cols[a, j]
        greedy[i] = leaf_value(hs[root_nrev + 1], relu, z, w2t, b2, true_label, root_liar, root_nrev + 1 == k)
        exact[i] = _solve(cols, w2t, b2, lit, forbid_black, revealed, hs, acts, keys, relu, z, root_nrev + 1,
                          horizon, k, first, true_label, root_liar, -1.0, 1.0)
        revealed[a] = False
    return actions, exact, greedy


drop_stale_caches("minimax", [_solve, _root_values], [leaf_value, legal_pixels, honest_value])


def pixel_minimax(state: PixelDebateState, depth: int | None = None,
                  liar_label: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(actions, values, judge values)`` of a pixel-debate state in the reveal phase or
    at the liar's first claim, both for the player to move; ``values`` are exact when
    ``depth`` is None (else searched ``depth`` plies). ``liar_label`` is the lie assumed
    while none is claimed (None: the judge's favourite wrong label at each position)."""
    if state.phase not in (CLAIM_FIRST, REVEAL):
        raise ValueError(f"the numba solver needs a state in the reveal phase or the first claim, got phase "
                         f"{state.phase}")
    game = state.game
    cols, arrays, lit, revealed = pixel_inputs(state)
    nrev = len(state.reveals)
    claim_root = state.phase == CLAIM_FIRST
    plies = game.pixels - nrev  # reveals left
    if depth is not None:
        plies = min(plies, depth - 1 if claim_root else depth)
    actions, exact, greedy = _root_values(
        cols, arrays.b1, arrays.w2t, arrays.b2, lit, game.forbid_black, revealed, nrev, nrev + plies, game.pixels,
        HONEST if game.first == "honest" else LIAR, claim_root, state.true_label,
        int(state.claims[LIAR]) if state.claims[LIAR] >= 0 or liar_label is None else int(liar_label))
    sign = 1.0 if state.current_player() == HONEST else -1.0
    return actions, sign * exact, sign * greedy


# --- the fast paths registered with the game ------------------------------------------------------
def fast_pixel_state(state: object) -> bool:
    """Whether the compiled paths can search ``state``: a pixel debate in the reveal phase or
    at the liar's first claim, judged by the built-in :class:`SparseJudge` (whose hidden
    layer they update pixel by pixel; another judge is searched by the generic engine)."""
    return (isinstance(state, PixelDebateState) and state.phase in (CLAIM_FIRST, REVEAL)
            and isinstance(state.game.judge, SparseJudge))


def _assumed(state: PixelDebateState) -> int:
    return state.assumed_lie if state.claims[LIAR] < 0 else -1


class _MCTSFastPath:
    """The compiled MCTS of the pixel debate, as the generic agent calls it."""

    describes = "pixel-debate states in the reveal phase or the first claim, judged by a SparseJudge"
    applies = staticmethod(fast_pixel_state)

    @staticmethod
    def run(state: PixelDebateState, rollouts: int, c_puct: float,
            scratch: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        buffers = scratch.setdefault("pixel_mcts", TreeBuffers())
        return pixel_mcts(state, rollouts, c_puct, _assumed(state), buffers)


class _MinimaxFastPath:
    """The compiled exact solver of the pixel debate, as the generic agent calls it."""

    describes = _MCTSFastPath.describes
    applies = staticmethod(fast_pixel_state)

    @staticmethod
    def run(state: PixelDebateState, depth: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lie = _assumed(state)
        return pixel_minimax(state, depth, None if lie < 0 else lie)


MCTS_FAST_PATH = _MCTSFastPath()
MINIMAX_FAST_PATH = _MinimaxFastPath()
