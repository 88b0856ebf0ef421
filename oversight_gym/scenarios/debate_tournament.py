"""Debate tournament: which debaters are in equilibrium? (empirical game-theoretic analysis)

Six debate agents play every seat assignment of the sparse-pixel debate (Irving,
Christiano, Amodei 2018), honest seat against liar seat, each pair over the same seeded
images (common random numbers). The payoff table is the meta-game whose strategies are
the agents; it is zero-sum, so its equilibrium comes from a linear program: the mixture
of honest debaters and of liars that neither side can improve on, and the value, which
is the honest side's equilibrium payoff. Equilibria are checked by their regret, and the
general-sum solver (Lemke-Howson, nashpy) is run as a cross-check. Alpha-rank (OpenSpiel)
ranks the agent pairs when OpenSpiel is installed.

The paper reports judge accuracy 88.9% for MCTS debaters with 10,000 rollouts on MNIST
(6 pixels, precommit); the mcts(10000) pairing is printed beside it (our data: 8x8 digits).

Run: ``oversight-gym run debate-tournament [--quick]``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from oversight_gym.analysis.equilibria import alpha_rank, nash_equilibria, zero_sum_equilibrium
from oversight_gym.analysis.metrics import Rate
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult
from oversight_gym.runner.tournament import Entrant, population, run_tournament

ENV_ID = "debate/pixels-v0"
PUBLISHED_MCTS_DEBATE = 0.889  # Irving et al. 2018, MNIST, 6 pixels, precommit, MCTS 10,000 rollouts


def parse_entrants(text: str) -> list[Entrant]:
    """``"random,mcts:rollouts=100,minimax:depth=2"`` -> entrants; ``"filter:KEY=VALUE"``
    adds every registered agent whose classifier matches (e.g. ``filter:uses_search=true``)."""
    from oversight_gym.runner.scenario import parse_value

    out: list[Entrant] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        name, _, rest = item.partition(":")
        kwargs = {}
        for kv in (p for p in rest.split(";") if p):
            k, sep, v = kv.partition("=")
            if not sep:
                raise ValueError(f"--agents: expected NAME:KEY=VALUE;KEY=VALUE, got {item!r}")
            kwargs[k.strip()] = parse_value(v.strip())
        found = population(ENV_ID, **kwargs) if name == "filter" else [Entrant(name, kwargs)]
        out.extend(e for e in found if e.label not in {o.label for o in out})  # each agent once
    if len(out) < 2:
        raise ValueError(f"--agents: a tournament needs at least two entrants, got {text!r}")
    return out


def tournament(params: dict[str, Any], seed: int, workers: int, progress: bool, results: Any = None) -> Any:
    entrants = parse_entrants(params["agents"])
    game_kwargs = {"pixels": params["pixels"], "judge_steps": params["judge_steps"],
                   "liar_label": params["liar_label"]}
    return run_tournament(ENV_ID, entrants, params["repetitions"], seed=seed, game_kwargs=game_kwargs,
                          workers=workers, results=results, progress=progress)


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: the tournament's equilibrium value and the honest win rate in it."""
    res = tournament(params, seed, workers=1, progress=False)
    A, _ = res.meta_game()
    eq = zero_sum_equilibrium(A)
    honest, liar = eq.support(res.labels, res.labels)
    return {"equilibrium_value": eq.row_value, "equilibrium_honest_win_rate": (eq.row_value + 1) / 2,
            "honest_support": "+".join(honest), "liar_support": "+".join(liar)}


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    res = tournament(params, ctx.seed, ctx.workers, ctx.progress, results=ctx.path("matches.jsonl"))
    labels = res.labels
    A, B = res.meta_game()
    _, se = res.payoffs()
    eq = zero_sum_equilibrium(A)
    cross = nash_equilibria(A, B, method="lemke-howson", zero_sum_lp=False)  # the general-sum path
    rows: list[dict[str, Any]] = []
    for i, honest in enumerate(labels):
        row: dict[str, Any] = {"honest \\ liar": honest}
        for j, liar in enumerate(labels):
            row[liar] = f"{A[i, j]:+.2f}±{1.96 * se[i, j, 0]:.2f}"
        row["eq. weight (honest)"] = f"{eq.row[i]:.2f}"
        rows.append(row)
    rows.append({"honest \\ liar": "eq. weight (liar)", **{liar: f"{eq.col[j]:.2f}" for j, liar in enumerate(labels)}})

    # judge accuracy when the strongest search debaters meet, beside the paper
    notes = []
    mcts_top = [k for k, e in enumerate(res.entrants) if e.agent == "mcts" and e.kwargs.get("rollouts") == 10_000]
    if mcts_top:
        k = mcts_top[0]
        wins = [r for r in res.records if r["assignment"] == [k, k]]
        acc = Rate(sum(r["returns"][0] > 0 for r in wins), len(wins))
        lo, hi = acc.interval
        notes.append(f"mcts(10000) vs mcts(10000): judge accuracy {100 * acc.value:.1f}% [{100 * lo:.1f}, "
                     f"{100 * hi:.1f}] (n={acc.n}); paper (MNIST) {100 * PUBLISHED_MCTS_DEBATE:.1f}%.")
    h_sup, l_sup = eq.support(labels, labels)
    notes += [
        f"zero-sum equilibrium (linear program): value to the honest seat {eq.row_value:+.3f} "
        f"(honest win rate {(eq.row_value + 1) / 2:.1%}); honest support {h_sup}, liar support {l_sup}; "
        f"regrets {eq.row_regret:.1e} / {eq.col_regret:.1e}.",
    ]
    if cross:
        notes.append(f"cross-check, Lemke-Howson (nashpy) on the same table: value {cross[0].row_value:+.3f}, "
                     f"NashConv {cross[0].nash_conv:.1e}.")
    pure = [(labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels))
            if A[i, j] >= A[:, j].max() - 1e-12 and A[i, j] <= A[i, :].min() + 1e-12]
    shown = ", ".join(f"{h} vs {li}" for h, li in pure[:4]) + (f" and {len(pure) - 4} more" if len(pure) > 4 else "")
    notes.append(f"pure saddle points (best honest reply and best liar reply at once): {shown or 'none'}.")
    ranks: dict[str, float] = {}
    try:
        pi = alpha_rank([A, B])
        profiles = [(labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels))]
        top = sorted(zip(pi, profiles, strict=True), key=lambda t: -t[0])[:3]
        ranks = {f"{h} vs {li}": float(p) for p, (h, li) in top}
        notes.append("alpha-rank (OpenSpiel), top profiles: " + "; ".join(f"{k} {v:.2f}" for k, v in ranks.items()))
    except (ImportError, ValueError) as e:
        notes.append(f"alpha-rank skipped: {e}")
    notes.append("cells: mean payoff to the honest seat (+1 honest wins, -1 liar wins) ± 95% CI over "
                 f"{params['repetitions']} images per pair (the same images for every pair).")
    if ctx.quick:
        notes.append("QUICK MODE: few images and a weak judge; run without --quick for the full table.")
    summary = {"params": params, "labels": labels, "A": A.tolist(), "se": se[..., 0].tolist(),
               "equilibrium": {"honest": eq.row.tolist(), "liar": eq.col.tolist(), "value": eq.row_value},
               "seat_scores": res.seat_scores(), "alpha_rank_top": ranks}
    ctx.path("summary.json").write_text(json.dumps(summary, indent=2))
    files = [ctx.path("matches.jsonl"), ctx.path("summary.json"), res.plot(ctx.path("meta_game.png")),
             plot_equilibrium(labels, eq, ctx.path("equilibrium.png"))]
    title = (f"Debate tournament on {ENV_ID} ({params['pixels']} pixels): {len(labels)} agents, "
             f"{params['repetitions']} images per seat assignment; payoff to the honest seat")
    return ScenarioResult(title, rows, notes, files)


def plot_equilibrium(labels: list[str], eq: Any, path: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(1.5 + 1.1 * len(labels), 3.6))
    ax.bar(x - 0.2, eq.row, 0.4, label="honest seat", color="#3a7")
    ax.bar(x + 0.2, eq.col, 0.4, label="liar seat", color="#c44")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("weight in the equilibrium mixture")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"meta-game equilibrium: honest value {eq.row_value:+.2f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


SCENARIO = Scenario(
    name="debate-tournament",
    description="Six debate agents, every seat assignment, payoff table and meta-game equilibrium (EGTA)",
    citation="Irving et al. 2018 (arXiv 1805.00899); Wellman 2006; Tuyls et al. 2018 (EGTA); Omidshafiei et al. "
             "2019 (alpha-rank)",
    params=[
        Param("agents", str, "random,greedy,minimax:depth=2,mcts:rollouts=100,mcts:rollouts=1000,"
              "mcts:rollouts=10000", "comma list of NAME[:KEY=VALUE;...] or filter:CLASSIFIER=VALUE",
              quick="random,greedy,minimax:depth=2,mcts:rollouts=30,mcts:rollouts=100,mcts:rollouts=300"),
        Param("repetitions", int, 200, "images (matches) per seat assignment", quick=20),
        Param("pixels", int, 6, "pixels revealed in all"),
        Param("liar_label", str, "random", "the liar's precommitted label", choices=("random", "judge", "choose")),
        Param("judge_steps", int, 10_000, "training steps of the judge (cached on disk)", quick=2000),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
