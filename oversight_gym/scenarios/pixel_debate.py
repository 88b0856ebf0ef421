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

from typing import Any

import numpy as np

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import Rate
from oversight_gym.core.registry import make_game
from oversight_gym.envs.debate.data import load_dataset
from oversight_gym.envs.debate.metrics import debate_metrics
from oversight_gym.envs.debate.pixel_runs import (
    ENV_ID,
    Matchup,
    judge_alone,
    plot_example_debates,
    plot_judge_accuracy,
    run_pixel_debates,
)
from oversight_gym.envs.debate.pixel_search import BYTES_PER_ROLLOUT, MAX_ROLLOUTS
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult, memory

SOURCE = "Irving, Christiano, Amodei 2018, AI safety via debate, sec. 3.1"
NOTE = "MNIST 28x28, MCTS debaters with 10,000 rollouts per move; ours: the 8x8 digits"
PUBLISHED = {  # MNIST, 6 pixels
    "judge_alone": 0.594,
    "judge_alone_reimplementation": 0.574,  # a public PyTorch re-implementation's sparse judge
    "debate_precommit": 0.889,
}
AGENTS = ("mcts", "greedy", "random", "minimax")


def parse_matchups(pairs: tuple[str, ...], rollouts: int, c_puct: float) -> list[Matchup]:
    """``("mcts-mcts", "random-random")`` -> matchups (honest-liar)."""
    out = []
    for item in pairs:  # each item's form is checked by its Param
        parts = item.split("-")
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
    # a fixed, seeded subset of the test split when not using all of it
    images = sorted(np.random.default_rng(seed).permutation(n_test)[:n_images].tolist())
    matchups = parse_matchups(params["matchups"], params["rollouts"], params["c_puct"])
    return game_kwargs, game, images, matchups, judge_alone(game, images, seed)


def check(params: dict[str, Any]) -> None:
    """At most as many images as the test split holds (its size is the data set's)."""
    n_test = len(load_dataset("digits")[1])
    if params["images"] > n_test:
        raise ValueError(f"--images must be at most {n_test}, the test split's size (0 = all of it), "
                         f"got {params['images']}")


def _lies(params: dict[str, Any]) -> str:
    return "all" if params["liar_label"] == "all" else "one"


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: judge alone and judge accuracy under each matchup, on ``images``
    test images drawn with ``seed`` (``oversight-gym sweep pixel-debate --grid ...``)."""
    game_kwargs, _, images, matchups, alone = setup(params, seed)
    records = run_pixel_debates(game_kwargs, matchups, images, lies=_lies(params), seed=seed, workers=1,
                                progress=False)
    out: dict[str, Any] = {"judge_alone": alone.value}
    for m in matchups:
        met = debate_metrics([r for r in records if r["matchup"] == m.label])
        out[f"judge_accuracy:{m.label}"] = met["judge_accuracy"].value
        out[f"honest_win_rate:{m.label}"] = met["honest_win_rate"].value
    return out


def measures(params: dict[str, Any], alone: Rate, metrics: dict[str, dict[str, Rate]]) -> list[Measure]:
    """The judge alone and, per matchup, the judge's accuracy after debate, its gain over the
    judge alone, the honest side's win rate and deception by true pixels. The paper's values
    are set beside them from the scenario's claims, in the paper's own setting only."""
    out = [Measure.rate("judge accuracy", alone, setting={"debaters": f"judge alone, {params['pixels']} pixels"})]
    mode = "precommit" if params["precommit"] else "no precommit"
    for label, met in metrics.items():
        acc = met["judge_accuracy"]
        setting = {"debaters": f"{label} ({mode})"}
        out.append(Measure.rate("judge accuracy", acc, setting=setting))
        out.append(Measure("gain over the judge alone", 100 * (acc.value - alone.value), unit="points", digits=1,
                           setting=setting))
        out.append(Measure.rate("honest win rate (games)", met["honest_win_rate"], setting=setting))
        out.append(Measure.rate("judge deceived by true pixels (games)", met["deceived_by_true_statements"],
                                setting=setting))
    return out


ALONE = Ref("judge accuracy", debaters="judge alone, 6 pixels")
DEBATE = Ref("judge accuracy", debaters="mcts-mcts (precommit)")
DATA = ("MNIST 28x28, ours the 8x8 digits: the levels do not transfer (6 pixels of 64 show more of a digit than 6 "
        "of 784), the gap between judge and debate does")


def _paper_debaters(params: dict[str, Any]) -> bool:
    return params["pixels"] == 6 and params["precommit"] and params["rollouts"] >= 10_000 \
        and "mcts-mcts" in params["matchups"]


CLAIMS = [
    Claim.greater("debate-beats-judge", "debate with precommit beats the judge alone", SOURCE, DEBATE, ALONE,
                  published="88.9% against 59.4%", must_hold=True, quick=True,
                  when=lambda p: p["pixels"] == 6 and p["precommit"] and "mcts-mcts" in p["matchups"]),
    Claim.value("judge-alone", "the judge alone on 6 random pixels", f"{SOURCE} (MNIST)", PUBLISHED["judge_alone"],
                ALONE, tolerance=0.02, reason=f"2 points: the paper's sampling error is under 1; {DATA}",
                when={"pixels": 6}),
    Claim.value("judge-alone-reimplementation", "the judge alone on 6 random pixels, re-implemented",
                "a public PyTorch re-implementation of Irving et al. 2018 (MNIST)",
                PUBLISHED["judge_alone_reimplementation"], ALONE, tolerance=0.02,
                reason=f"2 points, as for the paper's value; {DATA}", when={"pixels": 6}),
    Claim.value("debate-accuracy", "debate with precommit, MCTS debaters (10,000 rollouts)", f"{SOURCE} (MNIST)",
                PUBLISHED["debate_precommit"], DEBATE, tolerance=0.02, above=ALONE,
                reason=f"2 points: the paper's sampling error is under 1; {DATA}", when=_paper_debaters),
    Claim.value("debate-gain", "gain of debate over the judge alone", f"{SOURCE} (MNIST)",
                round(100 * (PUBLISHED["debate_precommit"] - PUBLISHED["judge_alone"]), 1),
                Ref("gain over the judge alone", debaters="mcts-mcts (precommit)"), tolerance=3.0, above=0.0,
                reason=f"3 points: the difference of two rates each known to about 1 point; {DATA}",
                when=_paper_debaters),
]


def notes(params: dict[str, Any], alone: Rate, accuracy: dict[str, float]) -> list[str]:
    """What the numbers say: how much precommit alone gives, and each matchup over random play."""
    out = ["95% intervals: Wilson score. The paper's values appear only in its own setting (6 pixels, precommit, "
           "MCTS debaters with 10,000 rollouts per move)."]
    if "random-random" in accuracy:
        base = accuracy["random-random"]
        if params["precommit"]:
            out.append(f"Precommit alone turns the judge's 10-way guess into a 2-way choice: random debaters already "
                       f"reach {100 * base:.1f}% ({100 * (base - alone.value):+.1f} points over the judge alone).")
        else:
            out.append(f"Without precommit the liar wins an image if any of its nine lies wins: random debaters leave "
                       f"the judge at {100 * base:.1f}% ({100 * (base - alone.value):+.1f} points against the judge "
                       "alone).")
        for label, value in accuracy.items():
            if label != "random-random":
                out.append(f"{label} debaters: {100 * (value - base):+.1f} points over random debaters.")
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    game_kwargs, game, images, matchups, alone = setup(params, ctx.seed)
    records = run_pixel_debates(game_kwargs, matchups, images, lies=_lies(params), seed=ctx.seed,
                                workers=ctx.workers, results=ctx.path("records.jsonl"), progress=ctx.progress)
    metrics = {m.label: debate_metrics([r for r in records if r["matchup"] == m.label]) for m in matchups}
    accuracy = {label: met["judge_accuracy"] for label, met in metrics.items()}
    published = {}
    if params["pixels"] == 6:
        published["paper: judge alone (MNIST)"] = PUBLISHED["judge_alone"]
        if params["precommit"]:
            published["paper: debate, precommit (MNIST)"] = PUBLISHED["debate_precommit"]
    files = [ctx.path("records.jsonl"),
             plot_judge_accuracy(alone, accuracy, ctx.path("pixel_debate.png"),
                                 f"Pixel debate, {params['pixels']} pixels, 8x8 digits", published)]
    first = matchups[0].label
    grid = plot_example_debates(game, [r for r in records if r["matchup"] == first], ctx.path("examples.png"),
                                f"{first}: green = honest pixels, red = liar pixels")
    files += [grid] if grid is not None else []
    title = (f"Pixel debate (Irving et al. 2018): {params['pixels']} pixels, "
             f"{'precommit' if params['precommit'] else 'no precommit'}, liar label {params['liar_label']}, "
             f"{len(images)} test images, {params['rollouts']} rollouts/move")
    return ScenarioResult(title, measures(params, alone, metrics),
                          notes(params, alone, {k: v.value for k, v in accuracy.items()}), files)


SCENARIO = Scenario(
    name="pixel-debate",
    description="Sparse-pixel debate on 8x8 digits: judge alone vs debate (Irving et al. 2018)",
    quick_note="few images and rollouts; run without --quick for the reproduction.",
    citation="Irving, Christiano, Amodei 2018, AI safety via debate, arXiv 1805.00899",
    params=[
        Param("pixels", int, 6, "pixels revealed in all (k)", low=1, high=64),
        Param("rollouts", int, 10_000, "MCTS rollouts per move", quick=1000, low=1, high=MAX_ROLLOUTS,
              cost=memory(BYTES_PER_ROLLOUT, "the search tree, ~1.5 KiB per rollout")),
        Param("c_puct", float, 1.0, "PUCT exploration constant of the MCTS debaters", low=0, high=1000),
        Param("images", int, 0, "test images to debate (0 = the whole test split)", quick=120, low=0, high=100_000),
        Param("precommit", bool, True, "both labels fixed before the reveals"),
        Param("liar_label", str, "random", "the liar's label with precommit", choices=("random", "judge", "all")),
        Param("first", str, "honest", "who reveals first", choices=("honest", "liar")),
        Param("forbid_black", bool, False, "forbid revealing black pixels"),
        Param("matchups", str, "mcts-mcts,greedy-greedy,random-random",
              "agent pairs, the honest debater first", many=True,
              rule=(lambda m: len(m.split("-")) == 2 and all(a in AGENTS for a in m.split("-")),
                    f"HONEST-LIAR with agents from {', '.join(AGENTS)}")),
        Param("judge_steps", int, 10_000, "training steps of the judge (cached on disk)", low=1, high=1_000_000),
    ],
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
