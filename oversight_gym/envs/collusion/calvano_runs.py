"""Studying learned pricing cartels as Calvano et al. (2020) did: sessions stored as they
finish, the impulse response to a deviation, collusion metrics on the converged strategies,
the profit gain over a grid of learning parameters and under a regulator, and their figures.

* :func:`run_stored_sessions`: sessions of a :class:`CalvanoConfig` appended to a results
  file (a killed run resumes), with each session's detection rate under an audit;
* :func:`batch_from_records`: the stored sessions back as a :class:`BatchResult`;
* :func:`converged_only`: the converged sessions of a batch;
* :func:`punishment`: the impulse response to a one-period deviation and its statistics;
* :func:`collusion_metrics`: the intervention test and the conditional mutual information
  between one firm's price and the other's last price;
* :func:`overseer_cap`: the profit gain of a cartel at the highest prices the regulator
  does not fine;
* :func:`plot_impulse`, :func:`plot_delta_heatmap`, :func:`plot_overseer`: the figures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import annotate_cells, pyplot, save_figure
from oversight_gym.envs.collusion.calvano import (
    BatchResult,
    CalvanoConfig,
    decode_strategies,
    digits_state,
    encode_strategies,
    greedy_trajectory,
    impulse_response,
    limit_cycle_actions,
    run_sessions,
    state_digits,
    summarise_strategies,
)
from oversight_gym.envs.collusion.metrics import (
    deviation_punishment,
    intervention_test,
    mutual_information,
    mutual_information_test,
)
from oversight_gym.runner.records import RecordFile

_BATCH_FIELDS = ("session_ids", "converged", "periods", "final_state", "strategies", "cycle_length", "cycle_start",
                 "cycle_profits", "cycle_prices", "delta")


def limit_cycle_detection(cfg: CalvanoConfig, part: BatchResult, b: int, grid: np.ndarray, threshold: float) -> float:
    """Share of limit-cycle periods of session ``b`` in which an audit finds some firm priced
    above ``threshold``."""
    acts = limit_cycle_actions(cfg, part.strategies[b], part.cycle_start[b], part.cycle_length[b])
    prices = grid[np.arange(cfg.n_firms), acts]
    return float((prices > threshold).any(axis=1).mean())


def run_stored_sessions(cfg: CalvanoConfig, sessions: int, seed: int, path: str | Path, keep_strategies: bool,
                        progress: bool = False, extra: dict[str, Any] | None = None
                        ) -> tuple[list[dict[str, Any]], float]:
    """Sessions 0..sessions-1 of ``cfg``, resumed from the results file ``path`` when already
    stored there (with each session's :func:`limit_cycle_detection` at the game's audit
    threshold, and its strategies when ``keep_strategies``). Returns the records (sorted by
    session) and the seconds spent computing now."""
    rf = RecordFile(path, {"config": cfg.as_dict(), "seed": seed, "strategies": keep_strategies, **(extra or {})},
                    ("session",))
    done = {r["session"] for r in rf.records}
    todo = [i for i in range(sessions) if i not in done]
    game = cfg.game()
    spent = 0.0
    if todo:
        def store(part: BatchResult) -> None:
            for b, rec in enumerate(part.records()):
                rec["detection"] = limit_cycle_detection(cfg, part, b, game.grid, game.audit_threshold)
                if keep_strategies:
                    rec["strategies"] = encode_strategies(part.strategies[b])
                rf.append(rec)

        started = time.perf_counter()
        run_sessions(cfg, todo, seed, progress=progress, on_chunk=store)
        spent = time.perf_counter() - started
    recs = sorted((r for r in rf.records if r["session"] < sessions), key=lambda r: r["session"])
    return recs, spent


def batch_from_records(cfg: CalvanoConfig, seed: int, recs: list[dict[str, Any]]) -> BatchResult:
    """Stored sessions (kept with their strategies) back as a :class:`BatchResult`."""
    return summarise_strategies(cfg, seed, [r["session"] for r in recs], [r["converged"] for r in recs],
                                [r["periods"] for r in recs], [r["final_state"] for r in recs],
                                np.stack([decode_strategies(r["strategies"], cfg) for r in recs]))


def converged_only(res: BatchResult) -> BatchResult:
    """A copy of ``res`` with its converged sessions only."""
    sub = BatchResult.concat([res])
    for name in _BATCH_FIELDS:
        setattr(sub, name, getattr(res, name)[res.converged])
    return sub


def punishment(cfg: CalvanoConfig, sub: BatchResult, periods: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The impulse response of ``sub``'s sessions to firm 0 deviating to its static best
    response for one period (over ``periods`` periods), and its statistics per session
    (:func:`~oversight_gym.envs.collusion.metrics.deviation_punishment`: punished, depth,
    duration, deviation paid)."""
    ir = impulse_response(cfg, sub, deviator=0, periods=periods)
    stats = deviation_punishment(ir["prices_shocked"], ir["prices_baseline"], deviator=0,
                                 shocked_profits=ir["shocked_profits"], baseline_profits=ir["baseline_profits"],
                                 discount=cfg.delta)
    return ir, stats


def collusion_metrics(cfg: CalvanoConfig, sub: BatchResult, mi_sessions: int, mi_periods: int, mi_eps: float,
                      seed: int) -> dict[str, list[float]]:
    """Per converged session: the intervention test (``effects``: share of (state, change) pairs
    on the limit cycle in which firm 1 changes its price when firm 0's last price is changed)
    and, for the first ``mi_sessions``, the mutual information I(p1_t; p0_(t-1) | p1_(t-1)) in
    bits on ``mi_periods`` simulated periods with exploration ``mi_eps`` (``mi``), with a
    permutation test's p-value for the first five (``p_values``)."""
    game = cfg.game()
    effects: list[float] = []
    mis: list[float] = []
    pvals: list[float] = []
    rng = np.random.default_rng(seed)
    for b in range(len(sub)):
        strat = sub.strategies[b].astype(np.int64)
        cyc = limit_cycle_actions(cfg, strat, sub.cycle_start[b], sub.cycle_length[b])
        # observations on the cycle: the state before each cycle period
        obs_states = [int(sub.cycle_start[b])]
        for t in range(len(cyc) - 1):
            obs_states.append(int(sum(int(cyc[t, i]) * cfg.m**i for i in range(cfg.n_firms))) +
                              cfg.m**cfg.n_firms * (obs_states[-1] % (game.num_states // cfg.m**cfg.n_firms)))
        obs = state_digits(cfg, np.array(obs_states))
        pert = np.repeat(obs[:, None, :], cfg.m - 1, axis=1)
        for x in range(len(obs)):
            pert[x, :, 0] = [v for v in range(cfg.m) if v != obs[x, 0]]  # firm 0's last price, every other value

        def respond(o: np.ndarray, strat: np.ndarray = strat) -> np.ndarray:
            return strat[1, digits_state(cfg, o)]

        effects.append(intervention_test(respond, obs, pert).effect)
        if b < mi_sessions:
            states, acts = greedy_trajectory(cfg, strat, int(sub.cycle_start[b]), mi_periods, rng, eps=mi_eps)
            prev = state_digits(cfg, states)
            # does firm 1's price carry information about firm 0's last price, given its own?
            if b < 5:
                mi, p = mutual_information_test(acts[:, 1], prev[:, 0], given=prev[:, 1], permutations=50, rng=rng)
                pvals.append(p)
            else:
                mi = mutual_information(acts[:, 1], prev[:, 0], given=prev[:, 1])
            mis.append(mi)
    return {"effects": effects, "mi": mis, "p_values": pvals}


def overseer_cap(cfg: CalvanoConfig, audited: CalvanoConfig) -> tuple[float, float]:
    """The regulator's fine threshold under ``audited`` and the profit gain (mean over firms,
    against ``cfg``'s Nash and monopoly profits) of a cartel at the highest grid prices at or
    below it."""
    game, g_over = cfg.game(), audited.game()
    thr = g_over.audit_threshold
    safe = [int(np.flatnonzero(g_over.grid[i] <= thr).max()) if (g_over.grid[i] <= thr).any() else 0
            for i in range(cfg.n_firms)]
    j_safe = sum(a * cfg.m**i for i, a in enumerate(safe))
    cap = float(((g_over.profits[:, j_safe] - game.pi_nash) / (game.pi_monopoly - game.pi_nash)).mean())
    return float(thr), cap


# --- figures ---------------------------------------------------------------------------------


def plot_impulse(ir: dict[str, np.ndarray], game: Any, path: str | Path) -> Path:
    """Mean prices of the deviating and the other firms around a one-period deviation, the
    pre-shock path, and the Nash and monopoly prices."""
    plt = pyplot()
    shocked = ir["prices_shocked"].mean(axis=0)  # (T+1, n)
    t = np.arange(-1, shocked.shape[0] - 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t, shocked[:, 0], "o-", c="#c33", label="deviating firm")
    ax.plot(t, shocked[:, 1:].mean(axis=1), "s-", c="#36c", label="non-deviating firm")
    ax.plot(t, ir["prices_baseline"].mean(axis=0).mean(axis=1), ":", c="#777", label="pre-shock path (no deviation)")
    ax.axhline(game.p_nash.mean(), ls="--", c="#aaa", lw=1)
    ax.axhline(game.p_monopoly.mean(), ls="--", c="#aaa", lw=1)
    ax.text(t[-1], game.p_nash.mean(), " Nash", va="center", fontsize=8)
    ax.text(t[-1], game.p_monopoly.mean(), " monopoly", va="center", fontsize=8)
    ax.axvline(0, c="#ddd", lw=6, zorder=0)
    ax.set_xlabel("period (deviation to the static best response at 0)")
    ax.set_ylabel("price, mean over converged sessions")
    ax.set_title(f"Impulse response ({ir['prices_shocked'].shape[0]} sessions)")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_delta_heatmap(heat: np.ndarray, alphas: Sequence[float], betas: Sequence[float], path: str | Path) -> Path:
    """The mean profit gain of each (alpha, beta) cell."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(betas), 1.2 + 0.8 * len(alphas)))
    im = ax.imshow(heat, origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
    annotate_cells(ax, im, heat, fontsize=8)
    ax.set_xticks(range(len(betas)), [f"{b:g}" for b in betas], fontsize=8)
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas], fontsize=8)
    ax.set_xlabel("beta (exploration decay)")
    ax.set_ylabel("alpha (learning rate)")
    ax.set_title("profit gain Delta")
    fig.colorbar(im, ax=ax)
    return save_figure(fig, path)


def plot_overseer(cells: Sequence[dict[str, Any]], probs: Sequence[float], fines: Sequence[float],
                  base_delta: float, base_det: float, path: str | Path) -> Path:
    """Profit gain and detection per audit against the audit probability, one line per fine
    (``cells``: dicts with ``audit_prob``, ``fine``, ``delta``, ``detection``), beside the
    values without a regulator."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for f in fines:
        sel = [c for c in cells if c["fine"] == f]
        axes[0].plot(probs, [c["delta"] for c in sel], "o-", label=f"fine {f:g}")
        axes[1].plot(probs, [100 * c["detection"] for c in sel], "o-", label=f"fine {f:g}")
    axes[0].axhline(base_delta, ls=":", c="#777", label="no overseer")
    axes[1].axhline(100 * base_det, ls=":", c="#777", label="no overseer")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(list(probs), [f"{p:g}" for p in probs])  # the probabilities run, not crowded 10^k labels
        ax.set_xticks([], minor=True)
        ax.set_xlabel("audit probability per period")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("profit gain Delta")
    axes[1].set_ylabel("detection per audit (%)")
    fig.suptitle("A regulator auditing prices above a threshold")
    return save_figure(fig, path)


__all__ = ["batch_from_records", "collusion_metrics", "converged_only", "limit_cycle_detection", "overseer_cap",
           "plot_delta_heatmap", "plot_impulse", "plot_overseer", "punishment", "run_stored_sessions"]
