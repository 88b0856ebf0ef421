"""Weak-to-strong generalisation on tabular tasks (Burns et al. 2023, arXiv 2312.09390).

A weak supervisor trained on ground truth labels the other half of the training data; a
strong student trains on those labels; performance gap recovered (PGR) measures how much
of the gap between the supervisor and the strong ceiling (the student trained on ground
truth) the student closes. For each task and weak-strong pair we compare the naive
student, the auxiliary confidence loss and bootstrapping through the smaller students of
the ladder, with bootstrap intervals over seeds, and draw a figure in the manner of the
paper's Figure 3 (test accuracy against strong capacity, one line per weak supervisor).

The paper's headline numbers are for fine-tuned pretrained language models on NLP tasks,
chess puzzles and reward modelling. Ours are small learners trained from scratch on data
that scikit-learn ships (and a synthetic task), so the comparison is of the phenomenon,
not of the numbers. Students here have no pretraining, so they have no "latent
knowledge" of the task beyond their inductive bias: that is the main difference.

The GAME rows play the game view, ``weak_to_strong/supervise-v0``: scripted supervisor
policies (provide every confidence bin, withhold the least confident one, provide only the
most confident half) against student trust levels (naive imitation, the paper's
confidence-loss weight 0.5, and full self-trust), on the same splits.

Records are appended to ``records.jsonl`` cell by cell (task, seed, weak supervisor), so an
interrupted run resumes where it stopped. The full grid takes about 4-7 minutes on one core.

Run: ``oversight-gym run weak-to-strong [--quick]`` or ``python -m oversight_gym.scenarios.weak_to_strong``.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from oversight_gym.envs.weak_to_strong.data import load_task
from oversight_gym.envs.weak_to_strong.experiment import METHODS, Settings, run_cell
from oversight_gym.envs.weak_to_strong.metrics import (
    PGREstimate,
    group_records,
    median_pgr,
    paired_pgr_difference,
    pgr_by_group,
)
from oversight_gym.envs.weak_to_strong.models import check_learner_name, controls_loss
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

PUBLISHED = {  # Burns et al. 2023 (REFERENCES.md section 3); NLP tasks, pretrained GPT-4-family models
    "naive_pgr_range": "20-80% (NLP; >20% throughout, often >50% for the largest students)",
    "naive_median_largest_gap": 0.25,
    "confidence_median_largest_gap": 0.80,
}


def parse_tasks(text: str) -> list[str]:
    """Tasks separated by ';' (synthetic options use commas), or by ',' if no task has options."""
    items = [t.strip() for t in (text.split(";") if ";" in text or ":" in text else text.split(",")) if t.strip()]
    if not items:
        raise ValueError(f"--tasks must list at least one task, got {text!r}")
    for t in items:
        try:
            load_task(t)
        except ValueError as e:
            raise ValueError(f"--tasks: {e}") from None
    return items


def parse_learners(option: str, text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise ValueError(f"--{option} must list at least one learner, got {text!r}")
    for t in items:
        try:
            check_learner_name(t)
        except ValueError as e:
            raise ValueError(f"--{option}: {e}") from None
    return items


def _cell(args: tuple[str, int, str, list[str], list[str], dict[str, tuple[str, ...]], Settings]) -> list[dict]:
    task, seed, weak, strongs, methods, chains, settings = args
    return run_cell(task, seed, weak, strongs, methods, chains, settings)


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep weak-to-strong --grid a_max=0.25,0.5,0.75 ...``):
    every (task, weak, strong, method) of the parameters on one split ``seed``, as flat
    fields ``pgr:TASK:WEAK>STRONG:METHOD`` (a single seed's PGR; the report averages
    seeds). Pairs whose ceiling is not above the supervisor get no field."""
    tasks = parse_tasks(params["tasks"])
    strongs = parse_learners("strong", params["strong"])
    methods = [m.strip() for m in params["methods"].split(",") if m.strip()]
    settings = Settings(steps=params["steps"], a_max=params["a_max"], warmup=params["warmup"])
    chains = {s: tuple(strongs[:j]) for j, s in enumerate(strongs)}
    out: dict[str, Any] = {}
    for task in tasks:
        for weak in parse_learners("weak", params["weak"]):
            for r in run_cell(task, seed, weak, strongs, methods, chains, settings):
                gap = r["ceiling_acc"] - r["weak_acc"]
                if gap > params["min_gap"]:
                    key = f"pgr:{task}:{weak}>{r['strong']}:{r['method']}"
                    out[key] = (r["student_acc"] - r["weak_acc"]) / gap
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    tasks = parse_tasks(params["tasks"])
    weaks = parse_learners("weak", params["weak"])
    strongs = parse_learners("strong", params["strong"])
    methods = [m.strip() for m in params["methods"].split(",") if m.strip()]
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"--methods: each must be one of {list(METHODS)}, got {m!r}")
    if params["seeds"] < 2:
        raise ValueError(f"--seeds must be at least 2 (intervals are over seeds), got {params['seeds']}")
    if "confidence" in methods and not any(controls_loss(s) for s in strongs):
        raise ValueError("--methods confidence needs at least one mlp-... student in --strong")
    settings = Settings(steps=params["steps"], a_max=params["a_max"], warmup=params["warmup"])
    chains = {s: tuple(strongs[:j]) for j, s in enumerate(strongs)}  # bootstrap through the smaller rungs
    seeds = [ctx.seed * 1000 + i for i in range(params["seeds"])]
    config = {"tasks": tasks, "weak": weaks, "strong": strongs, "methods": methods, "seeds": seeds,
              "settings": settings.__dict__}
    store = RecordFile(ctx.path("records.jsonl"), config, ("task", "seed", "weak", "strong", "method"))
    done_cells = {(r["task"], r["seed"], r["weak"]) for r in store.records if r.get("cell_complete")}
    todo = [(t, s, w) for t in tasks for s in seeds for w in weaks if (t, s, w) not in done_cells]
    jobs = [(t, s, w, strongs, methods, chains, settings) for t, s, w in todo]

    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="weak-to-strong cells", disable=not ctx.progress)

    def save(recs: list[dict]) -> None:
        for i, r in enumerate(recs):
            store.append({**r, "cell_complete": i == len(recs) - 1})
        bar.update(1)

    workers = max(1, min(ctx.workers, len(jobs)))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(_cell, j) for j in jobs]
            for f in as_completed(futures):
                save(f.result())
    else:
        for j in jobs:
            save(_cell(j))
    bar.close()
    # a cell's records are kept only once the cell finished (a torn cell is recomputed)
    complete = {(r["task"], r["seed"], r["weak"]) for r in store.records if r.get("cell_complete")}
    records = [r for r in store.records if (r["task"], r["seed"], r["weak"]) in complete]
    records.sort(key=lambda r: (tasks.index(r["task"]), weaks.index(r["weak"]), strongs.index(r["strong"]),
                                METHODS.index(r["method"]), r["seed"]))
    est = pgr_by_group(records, n_boot=params["n_boot"], seed=ctx.seed, min_gap=params["min_gap"])
    rows, notes, summary = build_table(records, est, tasks, weaks, strongs, methods, params, ctx)
    if params["game_episodes"] > 0:
        game_records, game_rows = play_game(params, ctx)
        rows += game_rows
        summary["game"] = game_records
        notes.append(f"GAME rows: {GAME_ID} on {params['game_task']} ({params['game_weak']} supervisor, "
                     f"{params['game_strong']} student, 4 confidence bins), {params['game_episodes']} episodes per "
                     "row, scripted seats; the same episode seeds (splits) in every row.")
    ctx.path("summary.json").write_text(json.dumps({"params": params, **summary}, indent=2, default=str))
    files = [ctx.path("records.jsonl"), ctx.path("summary.json"), *plot(records, est, tasks, weaks, strongs, ctx)]
    title = (f"Weak-to-strong generalisation (Burns et al. 2023) on tabular tasks: {len(seeds)} seeds, "
             f"students trained {settings.steps} steps, confidence loss a_max={settings.a_max}")
    return ScenarioResult(title, rows, notes, files)


GAME_ID = "weak_to_strong/supervise-v0"
SUPERVISOR_POLICIES = {
    # bins are ordered from the supervisor's least to most confident labels
    "provide all": lambda b: [1] * b,
    "withhold least confident bin": lambda b: [0] + [1] * (b - 1),
    "most confident half only": lambda b: [0] * (b - b // 2) + [1] * (b // 2),
}
STUDENT_TRUST = {"trust 1 (naive)": 4, "trust 0.5 (paper's a=0.5)": 2, "trust 0 (a=1)": 0}  # of 5 levels


def play_game(params: dict[str, Any], ctx: Context) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The game view: scripted supervisor policies (which confidence bins to provide) against
    student trust levels on ``weak_to_strong/supervise-v0``; the same episode seeds for
    every combination, so the combinations are compared on the same splits."""
    from oversight_gym.core.registry import make_game
    from oversight_gym.envs.weak_to_strong.metrics import pgr_bootstrap

    game = make_game(GAME_ID, task=params["game_task"], weak=params["game_weak"], strong=params["game_strong"],
                     bins=4, trust_levels=5, steps=params["steps"])
    episodes = params["game_episodes"]
    records, rows = [], []
    for pname, policy in SUPERVISOR_POLICIES.items():
        for tname, trust in STUDENT_TRUST.items():
            for ep in range(episodes):
                state = game.new_initial_state(np.random.default_rng([ctx.seed, ep]))
                for action in policy(game.bins):
                    state.apply_action(action)
                state.apply_action(trust)
                records.append({**state.outcome(), "policy": pname, "student_choice": tname, "episode": ep})
            mine = [r for r in records if r["policy"] == pname and r["student_choice"] == tname]
            e = pgr_bootstrap([r["weak_acc"] for r in mine], [r["student_acc"] for r in mine],
                              [r["ceiling_acc"] for r in mine], n_boot=params["n_boot"], seed=ctx.seed,
                              min_gap=params["min_gap"])
            rows.append({"task": f"GAME {params['game_task']}", "weak": f"supervisor: {pname}",
                         "strong": f"student: {tname}", "weak acc": f"{100 * e.weak:.1f}",
                         "ceiling acc": f"{100 * e.ceiling:.1f}",
                         "ours": f"student {100 * e.student:.1f}%, PGR {e} "
                                 f"({100 * mine[0]['provided_fraction']:.0f}% of labels)"})
    return records, rows


def _pct(e: PGREstimate | None) -> str:
    return "—" if e is None else str(e)


def build_table(records: list[dict], est: dict[tuple, PGREstimate], tasks: list[str], weaks: list[str],
                strongs: list[str], methods: list[str], params: dict[str, Any],
                ctx: Context) -> tuple[list[dict], list[str], dict]:
    rows: list[dict[str, Any]] = []
    for t in tasks:
        for w in weaks:
            for s in strongs:
                base = est.get((t, w, s, "naive")) or next((est[k] for k in est if k[:3] == (t, w, s)), None)
                if base is None:
                    continue
                row: dict[str, Any] = {"task": t, "weak": w, "strong": s, "weak acc": f"{100 * base.weak:.1f}",
                                       "ceiling acc": f"{100 * base.ceiling:.1f}"}
                for m in methods:
                    e = est.get((t, w, s, m))
                    row[f"PGR {m}"] = _pct(e) if e is not None else "—"
                rows.append(row)
    included = {k: e for k, e in est.items() if not e.excluded}
    n_pairs = len({k[:3] for k in est})
    n_excl = len({k[:3] for k, e in est.items() if e.excluded})
    summary: dict[str, Any] = {"pgr": {"|".join(k): e.as_dict() for k, e in est.items()}}
    for m in methods:
        vals = [e for k, e in included.items() if k[3] == m]
        pos = sum(e.value > 0 for e in vals)
        med = median_pgr(vals)
        summary.setdefault("median_pgr", {})[m] = med
        published = PUBLISHED["naive_pgr_range"] if m == "naive" else "—"
        rows.append({"task": "ALL", "weak": "median over pairs", "strong": m, "weak acc": "", "ceiling acc": "",
                     f"PGR {methods[0]}": "", "published (NLP, Burns et al.)": published,
                     "ours": f"{100 * med:.0f}% median; PGR > 0 on {pos}/{len(vals)} pairs"})
    # the largest gap per task: the paper's "largest gap" comparison of naive and confidence loss
    largest: dict[str, dict[str, float]] = {}
    for t in tasks:
        cand = [(e.gap, k) for k, e in included.items() if k[0] == t and k[3] == "naive"
                and (k[0], k[1], k[2], "confidence") in included]
        if cand:
            _, k = max(cand)
            largest[t] = {"weak": k[1], "strong": k[2], "naive": included[k].value,
                          "confidence": included[(k[0], k[1], k[2], "confidence")].value}
    summary["largest_gap"] = largest
    if largest and "confidence" in methods:
        med_n = float(np.median([v["naive"] for v in largest.values()]))
        med_c = float(np.median([v["confidence"] for v in largest.values()]))
        rows.append({"task": "ALL", "weak": "largest gap per task", "strong": "naive -> confidence",
                     "published (NLP, Burns et al.)": f"median {100 * PUBLISHED['naive_median_largest_gap']:.0f}% -> "
                                                      f"~{100 * PUBLISHED['confidence_median_largest_gap']:.0f}%",
                     "ours": f"median {100 * med_n:.0f}% -> {100 * med_c:.0f}% over {len(largest)} tasks"})
    notes = [
        "PGR = (student - weak) / (ceiling - weak), accuracies on the held-out test split; point estimate = ratio of "
        "the mean accuracies over seeds; [95% percentile bootstrap over seeds].",
        f"excluded: pairs whose ceiling is less than {100 * params['min_gap']:.0f} points above the weak supervisor "
        f"({n_excl} of {n_pairs} pairs).",
        "bootstrap: weak -> each smaller student of the strong ladder in turn -> student, labels cross-fitted "
        "(2 folds); not run for the smallest student.",
        "published: Burns et al. 2023 fine-tune pretrained GPT-4-family models on 22 NLP tasks (plus chess and reward "
        "modelling); our students are small models trained from scratch on tabular tasks, WITHOUT pretraining, "
        "so these are not the paper's tasks and the numbers are not directly comparable.",
    ]
    if "confidence" in methods:
        for t in tasks:
            d = paired_pgr_difference([r for r in records if r["task"] == t], "naive", "confidence",
                                      n_boot=params["n_boot"], seed=ctx.seed, min_gap=params["min_gap"])
            summary.setdefault("confidence_minus_naive", {})[t] = d.__dict__ | {"measurable": d.measurable}
            if d.n_pairs:
                notes.append(f"confidence loss vs naive on {t}: mean PGR change {100 * d.value:+.0f} points "
                             f"[{100 * d.low:+.0f}, {100 * d.high:+.0f}] over {d.n_pairs} pairs"
                             f" -> {'MEASURABLE' if d.measurable else 'not distinguishable from zero'}")
    if "bootstrap" in methods:
        for t in tasks:
            d = paired_pgr_difference([r for r in records if r["task"] == t], "naive", "bootstrap",
                                      n_boot=params["n_boot"], seed=ctx.seed, min_gap=params["min_gap"])
            summary.setdefault("bootstrap_minus_naive", {})[t] = d.__dict__ | {"measurable": d.measurable}
            if d.n_pairs:
                notes.append(f"bootstrapping vs naive on {t}: mean PGR change {100 * d.value:+.0f} points "
                             f"[{100 * d.low:+.0f}, {100 * d.high:+.0f}] over {d.n_pairs} pairs")
    naive = [e for k, e in included.items() if k[3] == "naive"]
    if naive:
        pos = sum(e.value > 0 for e in naive)
        verdict = "positive on most pairs" if pos > len(naive) / 2 else "NOT positive on most pairs"
        notes.append(f"finding: naive PGR is {verdict} ({pos}/{len(naive)}).")
    if ctx.quick:
        notes.append("QUICK MODE: few tasks, learners and seeds; run without --quick for the full grid.")
    return rows, notes, summary


def plot(records: list[dict], est: dict[tuple, PGREstimate], tasks: list[str], weaks: list[str],
         strongs: list[str], ctx: Context) -> list[Any]:
    """Figure 3 of Burns et al. in our setting: per task, test accuracy against strong
    capacity (one line per weak supervisor; solid naive, dashed confidence loss; black the
    ceiling, dotted the supervisors), and PGR below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = group_records(records, ("task", "weak", "strong", "method"))
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(weaks)))
    fig, axes = plt.subplots(2, len(tasks), figsize=(3.6 * len(tasks), 6.4), squeeze=False)
    x = np.arange(len(strongs))
    for col, t in enumerate(tasks):
        ax, axp = axes[0, col], axes[1, col]
        ceiling = [np.mean([r["ceiling_acc"] for w in weaks for r in groups.get((t, w, s, "naive"), [])] or [np.nan])
                   for s in strongs]
        ax.plot(x, 100 * np.array(ceiling), "k-o", lw=2, label="strong ceiling")
        for w, c in zip(weaks, colors, strict=True):
            for m, style in (("naive", "-o"), ("confidence", "--s")):
                acc = [np.mean([r["student_acc"] for r in groups.get((t, w, s, m), [])] or [np.nan]) for s in strongs]
                if np.all(np.isnan(acc)):
                    continue
                ax.plot(x, 100 * np.array(acc), style, color=c, ms=4,
                        label=f"weak {w}" + (" (conf.)" if m == "confidence" else ""))
                pg = [est[(t, w, s, m)].value if (t, w, s, m) in est else np.nan for s in strongs]
                axp.plot(x, 100 * np.array(pg), style, color=c, ms=4)
            weak_acc = np.mean([r["weak_acc"] for r in records if r["task"] == t and r["weak"] == w] or [np.nan])
            ax.axhline(100 * weak_acc, color=c, ls=":", lw=1)
        ax.set_title(t, fontsize=9)
        ax.set_xticks(x, strongs, fontsize=7)
        axp.set_xticks(x, strongs, fontsize=7)
        axp.axhline(0, color="#999", lw=0.8)
        axp.axhline(100, color="#999", lw=0.8, ls=":")
        ax.set_xlabel("strong student (capacity)", fontsize=8)
        axp.set_xlabel("strong student (capacity)", fontsize=8)
        if col == 0:
            ax.set_ylabel("test accuracy (%)")
            axp.set_ylabel("PGR (%)")
    for axp in axes[1]:  # a PGR near a vanishing gap can be huge: keep the useful range in view
        lo, hi = axp.get_ylim()
        axp.set_ylim(max(lo, -60.0), min(max(hi, 105.0), 160.0))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=7, frameon=False)
    fig.suptitle("Weak-to-strong: solid = naive, dashed = confidence loss, dotted = weak supervisor, "
                 "black = ceiling (PGR axis clipped to [-60, 160])", fontsize=9)
    fig.tight_layout(rect=(0, 0.04 + 0.025 * ((len(labels) + 4) // 5), 1, 1))
    path = ctx.path("weak_to_strong.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]


SCENARIO = Scenario(
    name="weak-to-strong",
    description="Weak-to-strong generalisation on tabular tasks: PGR, confidence loss, bootstrapping "
                "(Burns et al. 2023)",
    citation="Burns et al. 2023, Weak-to-strong generalization: eliciting strong capabilities with weak "
             "supervision, arXiv 2312.09390",
    params=[
        Param("tasks", str, "cancer;digits;digits-odd;wine;synthetic:n=3000,noise=0.1;"
              "synthetic:n=3000,k=3,noise=0.1,salience=0.6",
              "tasks separated by ';' (cancer, digits, digits-odd, wine, iris, diabetes-high, synthetic:OPTS)",
              quick="digits;wine;synthetic:n=3000,noise=0.1"),
        Param("weak", str, "lr-f2,lr-f8,tree-d2,tree-d6", "weak supervisors, comma-separated ladder names",
              quick="lr-f8,tree-d6"),
        Param("strong", str, "mlp-0,mlp-8,mlp-32,mlp-128", "strong students, smallest first (bootstrapping "
              "goes through the smaller ones)", quick="mlp-0,mlp-32"),
        Param("methods", str, "naive,confidence,bootstrap", "comma list of naive, confidence, bootstrap"),
        Param("seeds", int, 10, "seeds (splits and initialisations) per pair", quick=4),
        Param("steps", int, 100, "training steps of the numpy students"),
        Param("a_max", float, 0.5, "final weight of the auxiliary confidence loss"),
        Param("warmup", float, 0.2, "fraction of training over which the confidence weight warms up"),
        Param("n_boot", int, 2000, "bootstrap resamples for the intervals", quick=500),
        Param("min_gap", float, 0.01, "exclude pairs whose ceiling is less than this above the weak supervisor"),
        Param("game_episodes", int, 20, "episodes per (supervisor policy, student trust) of the game view "
              "(0 = skip)", quick=4),
        Param("game_task", str, "digits", "task of the game view"),
        Param("game_weak", str, "tree-d6", "supervisor of the game view"),
        Param("game_strong", str, "mlp-32", "student of the game view (an mlp-... learner)"),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
