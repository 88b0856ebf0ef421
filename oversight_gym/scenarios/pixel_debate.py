"""Pixel debate: does debate help a sparse judge? (Irving, Christiano, Amodei 2018, sec. 3.1)

A judge trained to classify digits from k random pixels decides between two claimed
labels after two debaters, who see the whole image, reveal k pixels between them. The
paper (MNIST, k = 6, MCTS debaters with 10,000 rollouts per move) reports the judge alone
at 59.4% and debate with precommit at 88.9%: debate adds 29.5 points.

We use scikit-learn's 8x8 digits (MNIST is not downloadable here), so absolute numbers
differ; what we reproduce is the gap between judge alone and debate. Choices the paper
leaves open (see ``oversight_gym.envs.debate.pixels``): the honest debater moves first;
with precommit the liar's label is a uniformly random wrong label per image
(``--liar-label all`` plays every lie, ``judge`` the judge's favourite lie).

Run: ``oversight-gym run pixel-debate [--quick]`` or ``python -m oversight_gym.scenarios.pixel_debate``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import Rate
from oversight_gym.core.registry import make_game
from oversight_gym.envs.debate.metrics import debate_metrics
from oversight_gym.envs.debate.pixel_runs import ENV_ID, Matchup, replay, run_pixel_debates
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

PUBLISHED = {  # Irving et al. 2018, MNIST, 6 pixels (REFERENCES.md section 1)
    "judge_alone": 0.594,
    "judge_alone_reimplementation": 0.574,  # a public PyTorch re-implementation's sparse judge
    "debate_precommit": 0.889,
}
AGENTS = ("mcts", "greedy", "random", "minimax")


def parse_matchups(text: str, rollouts: int, c_puct: float) -> list[Matchup]:
    """``"mcts-mcts,random-random"`` -> matchups (honest-liar)."""
    out = []
    for item in text.split(","):
        item = item.strip()
        parts = item.split("-")
        if len(parts) != 2 or any(p not in AGENTS for p in parts):
            raise ValueError(f"--matchups: each item is HONEST-LIAR with agents from {list(AGENTS)}, got {item!r}")
        kw = [{"rollouts": rollouts, "c_puct": c_puct} if p == "mcts" else {} for p in parts]
        out.append(Matchup(item, parts[0], parts[1], kw[0], kw[1]))
    return out


def setup(params: dict[str, Any], seed: int) -> tuple[dict[str, Any], Any, list[int], list[Matchup], Rate]:
    """The game, the seeded image subset, the matchups and the judge alone on those images."""
    game_kwargs = {"pixels": params["pixels"], "precommit": params["precommit"], "first": params["first"],
                   "forbid_black": params["forbid_black"], "judge_steps": params["judge_steps"],
                   "liar_label": "random" if params["liar_label"] == "all" else params["liar_label"]}
    if not params["precommit"]:
        game_kwargs["liar_label"] = "random"
    game = make_game(ENV_ID, **game_kwargs)
    n_test = len(game.data)
    n_images = params["images"] or n_test
    if not 0 < n_images <= n_test:
        raise ValueError(f"--images must be in [0, {n_test}] (0 = the whole test split), got {params['images']}")
    # a fixed, seeded subset of the test split when not using all of it
    images = sorted(np.random.default_rng(seed).permutation(n_test)[:n_images].tolist())
    matchups = parse_matchups(params["matchups"], params["rollouts"], params["c_puct"])

    # the judge alone on random k-pixel masks of the same images
    from oversight_gym.envs.debate.data import ImageData

    subset = ImageData("subset", game.data.images[images], game.data.labels[images])
    correct, total = game.judge.evaluate_alone(subset, params["pixels"], np.random.default_rng(seed),
                                               repeats=20, pixel_pool="nonzero" if params["forbid_black"] else "all")
    return game_kwargs, game, images, matchups, Rate(correct, total)


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: judge alone and judge accuracy under each matchup, on ``images``
    test images drawn with ``seed`` (``oversight-gym sweep pixel-debate --grid ...``)."""
    game_kwargs, _, images, matchups, alone = setup(params, seed)
    records = run_pixel_debates(game_kwargs, matchups, images, lies="all" if params["liar_label"] == "all" else "one",
                                seed=seed, workers=1, progress=False)
    out: dict[str, Any] = {"judge_alone": alone.value}
    for m in matchups:
        met = debate_metrics([r for r in records if r["matchup"] == m.label])
        out[f"judge_accuracy:{m.label}"] = met["judge_accuracy"].value
        out[f"honest_win_rate:{m.label}"] = met["honest_win_rate"].value
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    game_kwargs, game, images, matchups, alone = setup(params, ctx.seed)
    records = run_pixel_debates(game_kwargs, matchups, images,
                                lies="all" if params["liar_label"] == "all" else "one",
                                seed=ctx.seed, workers=ctx.workers, results=ctx.path("records.jsonl"),
                                progress=ctx.progress)
    rows: list[dict[str, Any]] = []

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f}%"

    def ci(r: Rate) -> str:
        lo, hi = r.interval
        return f"[{100 * lo:.1f}, {100 * hi:.1f}]"

    rows.append({"measure": f"judge alone, {params['pixels']} random pixels", "debaters": "—", "published (MNIST)":
                 f"{pct(PUBLISHED['judge_alone'])} ({pct(PUBLISHED['judge_alone_reimplementation'])} re-impl.)"
                 if params["pixels"] == 6 else "—",
                 "ours (8x8 digits)": pct(alone.value), "95% CI": ci(alone), "n": alone.n, "gain over alone": ""})
    summary: dict[str, Any] = {"judge_alone": alone.as_dict(), "matchups": {}}
    for m in matchups:
        recs = [r for r in records if r["matchup"] == m.label]
        met = debate_metrics(recs)
        acc = met["judge_accuracy"]
        published = (PUBLISHED["debate_precommit"] if params["precommit"] and params["pixels"] == 6
                     and m.label == "mcts-mcts" and params["rollouts"] >= 10_000 else None)
        mode = "precommit" if params["precommit"] else "no precommit"
        rows.append({"measure": f"debate ({mode}), judge accuracy", "debaters": m.label,
                     "published (MNIST)": pct(published), "ours (8x8 digits)": pct(acc.value), "95% CI": ci(acc),
                     "n": acc.n, "gain over alone": f"{100 * (acc.value - alone.value):+.1f}"})
        rows.append({"measure": "  honest win rate (games)", "debaters": m.label, "published (MNIST)": "—",
                     "ours (8x8 digits)": pct(met["honest_win_rate"].value), "95% CI": ci(met["honest_win_rate"]),
                     "n": met["honest_win_rate"].n})
        dec = met["deceived_by_true_statements"]
        rows.append({"measure": "  judge deceived by true pixels (games)", "debaters": m.label,
                     "published (MNIST)": "—", "ours (8x8 digits)": pct(dec.value), "95% CI": ci(dec), "n": dec.n})
        summary["matchups"][m.label] = {k: v.as_dict() for k, v in met.items()}
    notes = [
        "published: Irving et al. 2018, MNIST 28x28, MCTS debaters with 10,000 rollouts/move; "
        "a published figure is shown only for the matching setting (6 pixels, precommit, mcts-mcts, 10,000 rollouts).",
        "paper's gap, debate minus judge alone: +29.5 points. 95% CI: Wilson score interval.",
    ]
    by_label = {m.label: summary["matchups"][m.label]["judge_accuracy"]["rate"] for m in matchups}
    if "random-random" in by_label:
        base = by_label["random-random"]
        if params["precommit"]:
            notes.append(
                f"precommit alone turns the judge's 10-way guess into a 2-way choice: random debaters already "
                f"reach {pct(base)} ({100 * (base - alone.value):+.1f} points over the judge alone)."
            )
        else:
            notes.append(
                f"without precommit the liar wins an image if any of its nine lies wins: random debaters leave "
                f"the judge at {pct(base)} ({100 * (base - alone.value):+.1f} points against the judge alone)."
            )
        for label, acc_rate in by_label.items():
            if label != "random-random":
                notes.append(f"{label} debaters: {100 * (acc_rate - base):+.1f} points over random debaters.")
    if ctx.quick:
        notes.append("QUICK MODE: few images and rollouts; run without --quick for the reproduction.")
    ctx.path("summary.json").write_text(json.dumps({"params": params, **summary}, indent=2))
    files = [ctx.path("records.jsonl"), ctx.path("summary.json")]
    files += plot(game, alone, matchups, records, params, ctx)
    title = (f"Pixel debate (Irving et al. 2018): {params['pixels']} pixels, "
             f"{'precommit' if params['precommit'] else 'no precommit'}, liar label {params['liar_label']}, "
             f"{len(images)} test images, {params['rollouts']} rollouts/move")
    return ScenarioResult(title, rows, notes, files)


def plot(game: Any, alone: Rate, matchups: list[Matchup], records: list[dict[str, Any]],
         params: dict[str, Any], ctx: Context) -> list[Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["judge alone"] + [f"debate\n{m.label}" for m in matchups]
    rates = [alone] + [debate_metrics([r for r in records if r["matchup"] == m.label])["judge_accuracy"]
                       for m in matchups]
    vals = np.array([r.value for r in rates]) * 100
    lo = vals - np.array([r.interval[0] for r in rates]) * 100
    hi = np.array([r.interval[1] for r in rates]) * 100 - vals
    fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(labels), 4))
    ax.bar(range(len(labels)), vals, yerr=[lo, hi], capsize=5, color=["#888"] + ["#3a7"] * len(matchups))
    if params["pixels"] == 6:
        ax.axhline(100 * PUBLISHED["judge_alone"], ls=":", c="#555", label="paper: judge alone (MNIST)")
        if params["precommit"]:
            ax.axhline(100 * PUBLISHED["debate_precommit"], ls="--", c="#3a7", label="paper: debate, precommit (MNIST)")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel("judge accuracy (%), 95% Wilson CI")
    ax.set_ylim(0, 100)
    ax.set_title(f"Pixel debate, {params['pixels']} pixels, 8x8 digits")
    bars = ctx.save_figure(fig, "pixel_debate.png")

    # a grid of example debates from the first matchup
    first = [r for r in records if r["matchup"] == matchups[0].label][:12]
    files = [bars]
    if first:
        cols = min(6, len(first))
        rows = (len(first) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.7 * rows), squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for ax, r in zip(axes.flat, first, strict=False):
            state = replay(game, r)
            ax.imshow(state.render_rgb())
            ok = "honest wins" if r["honest_wins"] else "liar wins"
            ax.set_title(f"true {r['true_label']} / lie {r['liar_label']}\njudge: {r['verdict']} ({ok})", fontsize=8)
        fig.suptitle(f"{matchups[0].label}: green = honest pixels, red = liar pixels", fontsize=9)
        grid = ctx.save_figure(fig, "examples.png", dpi=110)
        files.append(grid)
    return files


SCENARIO = Scenario(
    name="pixel-debate",
    description="Sparse-pixel debate on 8x8 digits: judge alone vs debate (Irving et al. 2018)",
    citation="Irving, Christiano, Amodei 2018, AI safety via debate, arXiv 1805.00899",
    params=[
        Param("pixels", int, 6, "pixels revealed in all (k)"),
        Param("rollouts", int, 10_000, "MCTS rollouts per move", quick=1000),
        Param("c_puct", float, 1.0, "PUCT exploration constant of the MCTS debaters"),
        Param("images", int, 0, "test images to debate (0 = the whole test split)", quick=120),
        Param("precommit", bool, True, "both labels fixed before the reveals"),
        Param("liar_label", str, "random", "the liar's label with precommit", choices=("random", "judge", "all")),
        Param("first", str, "honest", "who reveals first", choices=("honest", "liar")),
        Param("forbid_black", bool, False, "forbid revealing black pixels"),
        Param("matchups", str, "mcts-mcts,greedy-greedy,random-random",
              "comma list of HONEST-LIAR agent pairs (mcts, greedy, random, minimax)"),
        Param("judge_steps", int, 10_000, "training steps of the judge (cached on disk)"),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
