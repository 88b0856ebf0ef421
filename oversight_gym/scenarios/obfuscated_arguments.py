"""Obfuscated arguments: how large must an argument be before the honest side cannot find the flaw?

Barnes & Christiano (2020, "Debate update: Obfuscated arguments problem") describe a
dishonest debater who defends a false claim with a huge argument made invalid by a few
flawed steps that neither debater has located: each subclaim is about 50% likely true
under the wrong answer, so the honest debater, bounded in compute, can only say each step
might be flawed. In recursive debate the honest challenger wins only if it recurses to a
flaw. Brown-Cohen, Irving & Piliouras (2025, "Avoiding obfuscation with prover-estimator
debate", arXiv 2506.13609) predict that letting the challenger state probabilities while
the claimant picks where to recurse (prover-estimator debate) defeats obfuscation on stable
arguments, but not on conjunctive ones where errors accumulate.

This scenario measures

1. the obfuscation cliff: the honest challenger's win rate against the budget fraction B/N
   and the number of flaws k, on Barnes and Christiano's construction (a false conjunction
   of N leaves with k flaws), played by the batch path
   (:mod:`oversight_gym.envs.debate.recursive_batch`), beside the closed form of a
   randomly searching challenger (:func:`oversight_gym.envs.debate.metrics.
   random_search_win_probability`), with a few cells replayed through the kernel;
2. standard, cross-examination, judge-directed and prover-estimator debate on conjunctive
   and on stable (majority) trees, with either role honest (kernel + scripted debaters),
   and prover-estimator debate against the judge's consistency tolerance.

No published figure exists for these simulations; the "reference" column gives the closed
form or the published prediction, and the notes say whether ours agrees.

Run: ``oversight-gym run obfuscated-arguments [--quick]`` or ``python -m oversight_gym.scenarios.obfuscated_arguments``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import Rate, grouped_rates, inside
from oversight_gym.analysis.plots import plot_curves, plot_heatmap
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.plots import plot_debate_tree
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater, RandomSearchTreeDebater
from oversight_gym.runner.episodes import play_episode, run_parallel
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

PREDICTION = "prover-estimator helps on stable trees, not on conjunctive ones (Brown-Cohen et al. 2025)"
STRUCTURES = {  # name -> tree parameters (kernel part)
    "conjunctive": {"kind": "conjunctive", "branching": 2},
    "stable": {"kind": "stable", "branching": 3, "rule": "majority"},
}


def budget_grid(n_leaves: int, points: int) -> list[int]:
    """``points`` budgets from 0 to N, denser at small fractions (where the cliff is)."""
    fr = np.concatenate([[0.0], np.geomspace(1.0 / n_leaves, 1.0, points - 1)])
    out = sorted({int(round(f * n_leaves)) for f in fr})
    while len(out) < points:  # rounding merged some: fill with the largest gaps' midpoints
        gaps = np.diff(out)
        i = int(np.argmax(gaps))
        out.insert(i + 1, out[i] + int(gaps[i]) // 2)
    return out


def flaw_grid(n_leaves: int, points: int) -> list[int]:
    top = max(2, n_leaves // 16)
    out = sorted({max(1, int(round(x))) for x in np.geomspace(1, top, points)})
    while len(out) < min(points, top):  # rounding merged some small values: fill the largest gaps
        gaps = np.diff(out)
        i = int(np.argmax(gaps))
        out.insert(i + 1, out[i] + int(gaps[i]) // 2)
    return out


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep obfuscated-arguments --grid budget_frac=0.01,0.05,0.2``):
    on the obfuscated tree of ``depth``, an honest challenger with budget B = budget_frac * N
    against the obfuscating claimant, for each flaw count of the grid: the simulated win
    rate (``debates`` debates, batch path) and the closed form beside it."""
    n_leaves = 2 ** params["depth"]
    budget = int(round(params["budget_frac"] * n_leaves))
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"budget": budget}
    for k in flaw_grid(n_leaves, params["flaw_points"]):
        res = simulate_standard(params["debates"], rng, kind="obfuscated", depth=params["depth"], flaws=k,
                                claimant="obfuscating", challenger="honest", challenger_budget=budget)
        out[f"honest_win:k={k}"] = float(np.mean(res["honest_wins"]))
        out[f"closed_form:k={k}"] = random_search_win_probability(n_leaves, k, budget)
    return out


# --- part 2: the kernel, one cell per task ---------------------------------------------------------------
def _kernel_cell(task: dict[str, Any]) -> dict[str, Any]:
    s = STRUCTURES[task["structure"]]
    depth = task["depth"][task["structure"]]
    n = s["branching"] ** depth
    budget = max(1, int(round(task["budget_frac"] * n)))
    queries = 3 if task["protocol"] in ("cross-examination", "judge-directed") else 1
    game = RecursiveDebateGame(kind=s["kind"], depth=depth, branching=s["branching"], rule=s.get("rule"),
                               protocol=task["protocol"], queries=queries,
                               claim="dishonest" if task["honest_role"] == "challenger" else "honest",
                               claimant_budget=budget, challenger_budget=budget, tolerance=task["tolerance"])
    honest, liar = HonestTreeDebater(), ObfuscatingTreeDebater()
    agents = [liar, honest] if task["honest_role"] == "challenger" else [honest, liar]
    wins = 0
    for i in range(task["n"]):
        st = play_episode(game, agents, seed=task["seed"] * 1_000_003 + i)
        wins += bool(st.outcome()["honest_wins"])
    return {**{k: task[k] for k in ("part", "structure", "protocol", "honest_role", "tolerance")},
            "budget": budget, "n_leaves": n, "n": task["n"], "honest_wins": wins}


def _kernel_grid_cell(task: dict[str, Any]) -> dict[str, Any]:
    """A cell of the obfuscation grid played through the kernel (random-search challenger)."""
    game = RecursiveDebateGame(kind="obfuscated", depth=task["depth"], flaws=task["flaws"], claim="dishonest",
                               challenger_budget=task["budget"])
    ch = (RandomSearchTreeDebater() if task["challenger"] == "random-search" else HonestTreeDebater())
    wins = sum(bool(play_episode(game, [ObfuscatingTreeDebater(), ch], seed=task["seed"] * 1_000_003 + i)
                    .outcome()["honest_wins"]) for i in range(task["n"]))
    return {**task, "honest_wins": wins}


def _kernel_queries_cell(task: dict[str, Any]) -> dict[str, Any]:
    """Cross-examination / judge-directed debate with Q paths on the obfuscated construction."""
    game = RecursiveDebateGame(kind="obfuscated", depth=task["depth"], flaws=task["flaws"], claim="dishonest",
                               challenger_budget=task["budget"], protocol=task["protocol"], queries=task["queries"])
    wins = sum(bool(play_episode(game, [ObfuscatingTreeDebater(), RandomSearchTreeDebater()],
                                 seed=task["seed"] * 1_000_003 + i).outcome()["honest_wins"]) for i in range(task["n"]))
    return {**{k: v for k, v in task.items() if k != "seed"}, "honest_wins": wins}


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    depth = params["depth"]
    n_leaves = 2**depth
    budgets = budget_grid(n_leaves, params["budget_points"])
    flaws = flaw_grid(n_leaves, params["flaw_points"])
    challengers = ["random-search", "honest"]
    config = {k: v for k, v in params.items()} | {"seed": ctx.seed}
    rec = RecordFile(ctx.path("records.jsonl"), config,
                     ["part", "challenger", "flaws", "budget", "structure", "protocol", "honest_role", "tolerance"])
    done = rec.done()
    blank = {"challenger": None, "flaws": None, "budget": None, "structure": None, "protocol": None,
             "honest_role": None, "tolerance": None}

    # 1. the cliff, batch path
    cells = [(c, k, b) for c in challengers for k in flaws for b in budgets]
    todo = [x for x in cells if ("grid", x[0], x[1], x[2], None, None, None, None) not in done]
    bar = None
    if ctx.progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="obfuscation grid (batch)", unit="cell")
    for ci, (c, k, b) in enumerate(cells):
        if (c, k, b) not in todo:
            continue
        seed_seq = np.random.SeedSequence([ctx.seed, ci])
        res = simulate_standard(params["debates"], np.random.default_rng(seed_seq), kind="obfuscated", depth=depth,
                                flaws=k, claimant="obfuscating", challenger=c, challenger_budget=b)
        rec.append({**blank, "part": "grid", "challenger": c, "flaws": k, "budget": b, "budget_frac": b / n_leaves,
                    "n": params["debates"], "honest_wins": int(res["honest_wins"].sum()),
                    "closed_form": random_search_win_probability(n_leaves, k, b)})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    grid = [r for r in rec.records if r["part"] == "grid"]

    # kernel replay of a few grid cells
    k_mid = flaws[len(flaws) // 2]
    check_cells = [{"part": "kernel-check", "challenger": c, "flaws": k_mid, "budget": b, "depth": depth,
                    "n": min(300, params["kernel_debates"]), "seed": ctx.seed + 7 + i}
                   for i, (c, b) in enumerate((c, b) for c in challengers
                                              for b in (budgets[0], budgets[len(budgets) // 2], budgets[-3]))]
    todo_k = [t for t in check_cells
              if ("kernel-check", t["challenger"], t["flaws"], t["budget"], None, None, None, None) not in done]
    run_parallel(_kernel_grid_cell, todo_k, workers=ctx.workers, progress=ctx.progress, desc="grid cells (kernel)",
                 on_result=lambda r: rec.append({**blank, **{k: v for k, v in r.items() if k != "seed"}}))

    # 2. protocols on conjunctive and stable trees
    protocols = ["standard", "cross-examination", "judge-directed", "prover-estimator"]
    tasks = []
    i = 0
    for structure in STRUCTURES:
        for protocol in protocols:
            for role in ("challenger", "claimant"):
                tols = params["tolerances"] if protocol == "prover-estimator" else [0.1]
                for tol in tols:
                    i += 1
                    tasks.append({"part": "protocols", "structure": structure, "protocol": protocol,
                                  "honest_role": role, "tolerance": float(tol), "n": params["kernel_debates"],
                                  "budget_frac": params["budget_frac"], "seed": ctx.seed * 7919 + i,
                                  "depth": {"conjunctive": params["conj_depth"], "stable": params["stable_depth"]}})
    def cell_budget(t: dict[str, Any]) -> int:  # as _kernel_cell sets it
        s = STRUCTURES[t["structure"]]
        return max(1, int(round(t["budget_frac"] * s["branching"] ** t["depth"][t["structure"]])))

    todo_p = [t for t in tasks if ("protocols", None, None, cell_budget(t), t["structure"], t["protocol"],
                                   t["honest_role"], t["tolerance"]) not in done]
    run_parallel(_kernel_cell, todo_p, workers=ctx.workers, progress=ctx.progress, desc="protocols (kernel)",
                 on_result=lambda r: rec.append({**blank, **r}))
    # 3. size N at fixed B/N (batch) and judge queries Q (kernel)
    depths_n = [6, 8] if ctx.quick else [6, 8, 10, 12]
    for dn in depths_n:
        for frac in (1 / 64, 1 / 16, 1 / 4):
            nn = 2**dn
            b = int(round(frac * nn))
            key = ("size", "honest", 2, b, f"depth{dn}", None, None, None)
            if key in done:
                continue
            res = simulate_standard(params["debates"], np.random.default_rng(np.random.SeedSequence([ctx.seed, dn, b])),
                                    kind="obfuscated", depth=dn, flaws=2, challenger="honest", challenger_budget=b)
            rec.append({**blank, "part": "size", "challenger": "honest", "flaws": 2, "budget": b,
                        "structure": f"depth{dn}", "n_leaves": nn, "n": params["debates"],
                        "honest_wins": int(res["honest_wins"].sum())})
    qtasks = [{"part": "queries", "challenger": "random-search", "flaws": 2, "budget": 4 if proto != "judge-directed"
               else 0, "structure": f"Q{q}", "protocol": proto, "queries": q, "depth": 6,
               "n": min(300, params["kernel_debates"]), "seed": ctx.seed * 31 + q + 100 * j}
              for j, proto in enumerate(("cross-examination", "judge-directed")) for q in (1, 2, 4, 8)]
    qtasks = [t for t in qtasks if ("queries", t["challenger"], 2, t["budget"], t["structure"], t["protocol"], None,
                                    None) not in done]
    run_parallel(_kernel_queries_cell, qtasks, workers=ctx.workers, progress=ctx.progress, desc="queries (kernel)",
                 on_result=lambda r: rec.append({**blank, **r}))
    records = rec.records

    # --- the table ------------------------------------------------------------------------------------------
    rows: list[dict[str, Any]] = []

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    def ci(r: dict[str, Any]) -> str:
        return f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}]"

    agree = {}
    for c in challengers:
        rs = grouped_rates([r for r in grid if r["challenger"] == c], ["flaws", "budget"])
        hits = sum(inside(r, random_search_win_probability(n_leaves, r["flaws"], r["budget"])) for r in rs)
        agree[c] = (hits, len(rs))
        rows.append({"measure": f"grid cells whose closed form lies in the 95% CI ({c} challenger)",
                     "reference": "~95% of cells", "ours": f"{hits}/{len(rs)} ({pct(hits / len(rs))})", "95% CI": "",
                     "n": params["debates"]})
    for k in (flaws[0], k_mid, flaws[-1]):
        rs = [r for r in grouped_rates([r for r in grid if r["challenger"] == "honest"], ["flaws", "budget"])
              if r["flaws"] == k]
        half_sim = next((r["budget"] for r in rs if r["rate"] >= 0.5), None)
        half_cf = next((b for b in budgets if random_search_win_probability(n_leaves, k, b) >= 0.5), None)
        rows.append({"measure": f"k={k}: smallest B/N with honest win >= 50%",
                     "reference": f"{half_cf / n_leaves:.3f} (closed form)" if half_cf is not None else "—",
                     "ours": f"{half_sim / n_leaves:.3f}" if half_sim is not None else "never", "95% CI": "",
                     "n": params["debates"]})
    for r in grouped_rates([r for r in records if r["part"] == "kernel-check"], ["challenger", "flaws", "budget"]):
        b_row = next(x for x in grouped_rates([g for g in grid if g["challenger"] == r["challenger"]],
                                              ["flaws", "budget"]) if x["flaws"] == r["flaws"] and
                     x["budget"] == r["budget"])
        cf = random_search_win_probability(n_leaves, r["flaws"], r["budget"])
        rows.append({"measure": f"kernel vs batch: {r['challenger']}, k={r['flaws']}, B/N={r['budget'] / n_leaves:.3f}",
                     "reference": f"{pct(cf)} (closed form)", "ours": f"kernel {pct(r['rate'])} / batch "
                     f"{pct(b_row['rate'])}", "95% CI": ci(r), "n": r["n"]})
    for r in grouped_rates([r for r in records if r["part"] == "size"], ["structure", "budget"]):
        nn = 2 ** int(r["structure"][5:])
        cf = random_search_win_probability(nn, 2, r["budget"])
        rows.append({"measure": f"N={nn}, k=2, B/N={r['budget'] / nn:.3f} (honest challenger)",
                     "reference": f"{pct(cf)} (closed form)", "ours": pct(r["rate"]), "95% CI": ci(r), "n": r["n"]})
    for r in grouped_rates([r for r in records if r["part"] == "queries"], ["protocol", "structure", "budget"]):
        q = int(r["structure"][1:])
        cf = random_search_win_probability(64, 2, r["budget"], q)
        rows.append({"measure": f"{r['protocol']}, Q={q} paths, N=64, k=2, B={r['budget']}",
                     "reference": f"{pct(cf)} (closed form)", "ours": pct(r["rate"]), "95% CI": ci(r), "n": r["n"]})
    prot = grouped_rates([r for r in records if r["part"] == "protocols"],
                         ["structure", "protocol", "honest_role", "tolerance"])
    for r in prot:
        ref = PREDICTION.split(" (")[0] if r["protocol"] == "prover-estimator" else "—"
        tol = f", tol {r['tolerance']:g}" if r["protocol"] == "prover-estimator" else ""
        rows.append({"measure": f"{r['structure']}: {r['protocol']}{tol}, honest {r['honest_role']}",
                     "reference": ref, "ours": pct(r["rate"]), "95% CI": ci(r), "n": r["n"]})

    # --- findings, computed ----------------------------------------------------------------------------------
    notes = [f"obfuscated construction: N={n_leaves} leaves (depth {depth}, binary), claimant tree-obfuscator "
             f"(knows no flaw), challenger with budget B verifying B random leaves; {params['debates']} debates per "
             f"cell (batch path). Closed form: 1 - C(N-k, B+1)/C(N, B+1)."]
    for c, (h, n) in agree.items():
        notes.append(f"{c} challenger: closed form inside the 95% CI in {h}/{n} cells "
                     f"({'agrees' if h >= 0.85 * n else 'DISAGREES'} with the closed form).")

    def get(structure: str, protocol: str, role: str, tol: float = 0.1) -> Rate | None:
        for r in prot:
            if (r["structure"], r["protocol"], r["honest_role"]) == (structure, protocol, role) and \
                    abs(r["tolerance"] - tol) < 1e-9:
                return Rate(int(round(r["rate"] * r["n"])), r["n"])
        return None

    def compare(a: Rate, b: Rate) -> str:
        lo_a, hi_a = a.interval
        lo_b, hi_b = b.interval
        return "helps" if lo_b > hi_a else "hurts" if hi_b < lo_a else "makes no clear difference"

    for structure in STRUCTURES:
        std, pe = get(structure, "standard", "challenger"), get(structure, "prover-estimator", "challenger")
        if std and pe:
            notes.append(f"{structure} trees, honest challenger (estimator) vs obfuscating claimant: standard {std}, "
                         f"prover-estimator (tol 0.1) {pe}: prover-estimator {compare(std, pe)}.")
        both = [(get(structure, p, "challenger"), get(structure, p, "claimant")) for p in ("standard",
                                                                                           "prover-estimator")]
        if all(x is not None for pair in both for x in pair):
            pooled = [Rate(a.successes + b.successes, a.n + b.n) for a, b in both]  # type: ignore[union-attr]
            notes.append(f"{structure} trees, judge accuracy pooled over which role is honest: standard "
                         f"{pooled[0]}, prover-estimator (tol 0.1) {pooled[1]}: prover-estimator "
                         f"{compare(pooled[0], pooled[1])}.")
    notes.append(f"prediction: {PREDICTION}. Compare the two lines above; our prover-estimator variant "
                 "(grid probabilities, independence consistency check with tolerance, estimator wins if on the "
                 "right side of 1/2 at the end) is one reading of the protocol, and the tolerance rows show how much "
                 "the answer depends on the judge's slack.")
    if ctx.quick:
        notes.append("QUICK MODE: a smaller tree, grid and sample; run without --quick for the full sweep.")

    files = [ctx.path("records.jsonl")]
    files += plot_figures(grid, records, budgets, flaws, n_leaves, ctx)
    # an example debate drawn as its argument tree
    game = RecursiveDebateGame(kind="obfuscated", depth=min(depth, 6), flaws=2, claim="dishonest",
                               challenger_budget=2 ** min(depth, 6) // 8, protocol="cross-examination", queries=3)
    st = play_episode(game, [ObfuscatingTreeDebater(), HonestTreeDebater()], seed=ctx.seed)
    files.append(plot_debate_tree(st, ctx.path("example_debate.png")))
    ctx.path("summary.json").write_text(json.dumps({"params": params, "agreement": agree, "protocols": prot},
                                                   indent=2, default=str))
    files.append(ctx.path("summary.json"))
    title = (f"Obfuscated arguments (Barnes & Christiano 2020) and prover-estimator debate "
             f"(Brown-Cohen et al. 2025): N={n_leaves}, {params['debates']} debates per grid cell")
    return ScenarioResult(title, rows, notes, files)


def plot_figures(grid: list[dict[str, Any]], records: list[dict[str, Any]], budgets: list[int], flaws: list[int],
                 n_leaves: int, ctx: Context) -> list[Any]:
    files = []
    for c in ("honest", "random-search"):
        rs = {(r["flaws"], r["budget"]): r["rate"] for r in grouped_rates([g for g in grid if g["challenger"] == c],
                                                                            ["flaws", "budget"])}
        mat = np.array([[rs[(k, b)] for b in budgets] for k in flaws])
        files.append(plot_heatmap(mat, [f"{b / n_leaves:.3f}" for b in budgets], flaws, "budget B/N", "flaws k",
                                  f"honest challenger's win rate ({c} search), obfuscated argument, N={n_leaves}",
                                  ctx.path(f"heatmap_{c}.png")))
    curves: dict[str, dict[str, Any]] = {}
    fr = [b / n_leaves for b in budgets]
    for k in flaws[:: max(1, len(flaws) // 4)]:
        rs = {r["budget"]: r for r in grouped_rates([g for g in grid if g["challenger"] == "honest" and
                                                     g["flaws"] == k], ["budget"])}
        curves[f"k={k}"] = {"rate": [rs[b]["rate"] for b in budgets], "low": [rs[b]["low"] for b in budgets],
                            "high": [rs[b]["high"] for b in budgets],
                            "closed": [random_search_win_probability(n_leaves, k, b) for b in budgets]}
    files.append(plot_curves(fr, curves, "verification budget B/N (symlog)", "honest challenger win rate",
                             f"the obfuscation cliff: N={n_leaves}; dashed: closed form of random search",
                             ctx.path("cliff.png"), log_x=True))
    prot = grouped_rates([r for r in records if r["part"] == "protocols" and abs(r["tolerance"] - 0.1) < 1e-9],
                         ["structure", "protocol", "honest_role"])
    if prot:
        plt = __import__("matplotlib.pyplot", fromlist=["pyplot"])
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
        for ax, role in zip(axes, ("challenger", "claimant"), strict=True):
            sel = [r for r in prot if r["honest_role"] == role]
            labels = [f"{r['structure']}\n{r['protocol']}" for r in sel]
            vals = np.array([r["rate"] for r in sel])
            err = np.array([[r["rate"] - r["low"] for r in sel], [r["high"] - r["rate"] for r in sel]])
            cols = ["#4a7" if r["structure"] == "stable" else "#47a" for r in sel]
            ax.bar(range(len(sel)), vals, yerr=err, color=cols, capsize=3)
            ax.set_xticks(range(len(sel)), labels, rotation=70, fontsize=7)
            ax.set_title(f"honest {role}", fontsize=9)
            ax.set_ylim(0, 1)
        axes[0].set_ylabel("honest win rate (95% CI)")
        fig.tight_layout()
        fig.savefig(ctx.path("protocols.png"), dpi=120)
        plt.close(fig)
        files.append(ctx.path("protocols.png"))
    return files


SCENARIO = Scenario(
    name="obfuscated-arguments",
    description="Obfuscated arguments in recursive debate: the cliff in B/N and k; standard vs prover-estimator",
    citation="Barnes & Christiano 2020 (AI Alignment Forum); Brown-Cohen, Irving & Piliouras 2025, arXiv 2506.13609",
    params=[
        Param("depth", int, 10, "depth of the binary obfuscated tree (N = 2**depth leaves)", quick=8),
        Param("budget_points", int, 20, "budgets on the grid (0..N)", quick=10),
        Param("flaw_points", int, 20, "flaw counts on the grid (1..N/16, geometric)", quick=5),
        Param("debates", int, 2000, "debates per grid cell (batch path)", quick=300),
        Param("kernel_debates", int, 1000, "debates per kernel cell", quick=60),
        Param("budget_frac", float, 0.125, "verification budget B/N of both debaters in the protocol comparison"),
        Param("conj_depth", int, 7, "depth of the binary conjunctive trees (protocol comparison)", quick=5),
        Param("stable_depth", int, 5, "depth of the ternary majority trees (protocol comparison)", quick=3),
        Param("tolerances", str, "0,0.05,0.1,0.2", "prover-estimator consistency tolerances (comma list)",
              quick="0,0.1"),
    ],
    run=lambda params, ctx: run({**params, "tolerances": _parse_floats(params["tolerances"])}, ctx),
    experiment=experiment,
)


def _parse_floats(text: str | list[float]) -> list[float]:
    if isinstance(text, list):
        return text
    try:
        return [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--tolerances must be a comma list of numbers, got {text!r}") from None


if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
