"""Weak-to-strong generalisation with pretrained and scratch-trained students (Burns et al.
2023, arXiv 2312.09390).

A weak supervisor trained on ground truth labels the other half of the training data; a
strong student trains on those labels; performance gap recovered (PGR) measures how much
of the gap between the supervisor and the strong ceiling (the student trained on ground
truth) the student closes. For each task and weak-strong pair we compare the naive
student, the auxiliary confidence loss and bootstrapping through the smaller students of
the ladder, with bootstrap intervals over seeds, and draw the paper's Figure 3 (test
accuracy against student strength, one line per weak supervisor) and a PGR heatmap.

The mechanism (the paper's sec. 6): its students are *pretrained*, so the task's concept is
already (close to) linearly available in their representation while the weak supervisor's
errors are not. Two kinds of students make that testable here:

* **pretrained**: ``probe-pS``, a linear probe on an encoder pretrained ``S`` steps without
  the task's labels (:mod:`oversight_gym.envs.weak_to_strong.pretrain`); ``S`` is the ladder
  of pretraining quality (0 = random features);
* **scratch-trained**: ``mlp-...``, in particular ``mlp-64-32``, the probe's architecture
  trained end to end on the weak labels (the contrast of the same capacity).

Tasks: *latent* tasks (:func:`~oversight_gym.envs.weak_to_strong.data.make_latent`: a concept
linear in 12 latent factors, observed through a random nonlinear mixture; encoders pretrained
on an unlabelled pool to predict other functions of the factors) and bundled real data sets
(encoders pretrained by reconstruction of the task's inputs, no labels). Results are
reported separately for the two, side by side with the scratch students, and beside the
vision numbers of the paper's code (linear probes on DINO features recover 42-58% of the gap).

The game view plays ``weak_to_strong/supervise-v0``: scripted supervisor policies (provide
every confidence bin, withhold the least confident one, provide only the most confident
half) against student trust levels (naive imitation, the paper's confidence-loss weight
0.5, and full self-trust), on the same splits; its records go to ``game.jsonl``.

Weak supervisors are of two kinds, reported apart: *pretrained* (``probe-p30``, ``probe-p100``:
probes on the same encoders pretrained fewer steps, continuing the students' ladder downwards),
as the paper's supervisors are smaller pretrained models of the students' family; and
*scratch-trained* (logistic regressions on a few features, trees), as the vision supervisor of
the paper's code (AlexNet trained on the labels) is. The latent claims read the pairs under
pretrained supervisors, the real-data claim those under scratch ones. Disclosure: this split was
made after a first full run had read every supervisor together (median 17% for pretrained
students, 30% for the strongest) and after an exploratory run had shown that pretrained
supervisors leave a larger share of the gap to recover; it follows the paper's setup, but it was
not chosen blind. Linear supervisors on a few raw features (``lr-f2``, ``lr-f8``) leave almost
none: their errors are as easy for a probe to fit as the concept.

The confidence loss and soft labels: students train on the supervisor's probabilities, as the
paper's do. Our small supervisors are unconfident (their probabilities sit near 1/2), and a
student fitting those probabilities already discounts the supervisor's doubtful labels; there
the confidence loss, which pulls the student toward its own hard predictions, lowers PGR.
``--weak-labels hard`` trains on the supervisor's predicted classes instead: naive PGR falls and
the confidence loss raises it (latent tasks, pretrained supervisors, 10 seeds: +7.9 points
[5.4, 10.3] at the largest gaps, lower on none of 12 pairs; ``oversight-gym run weak-to-strong
--tasks "latent;latent:seed=1;latent:k=3" --weak probe-p30,probe-p100 --strong
mlp-64-32,probe-p0,probe-p3000 --methods naive,confidence --game-episodes 0 --weak-labels hard``).

Records are appended to ``records.jsonl`` cell by cell (task, seed, weak supervisor), so an
interrupted run resumes where it stopped. Pretrained encoders are cached on disk.

Claims (``CLAIMS``): the paper's naive PGR range (20-80%) over all pairs, its medians at the
largest gap (about 25% naive, nearly 80% with the confidence loss); on the latent tasks under
pretrained supervisors, PGR
rising along the pretraining ladder, median above 20% for pretrained students and above 50%
for the strongest, scratch students below the strongest pretrained one, and the confidence
loss raising PGR at the largest gaps (paired interval above zero); on the real data, the
strongest probe beside the paper's vision probes. The reproduction
(``oversight-gym reproduce weak-to-strong``) runs the full grid with 10 seeds, naive and
with the paper's confidence loss, without bootstrapping and without the game view (no claim
reads them); about 2 to 3 minutes on one core. A ``--quick`` run takes about 10 s and decides no
claim (two tasks, three seeds).

Run: ``oversight-gym run weak-to-strong [--quick]`` or ``python -m oversight_gym.scenarios.weak_to_strong``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.core.registry import make_game
from oversight_gym.envs.weak_to_strong.data import load_task
from oversight_gym.envs.weak_to_strong.experiment import METHODS, Settings, bootstrap_chains, run_cell, run_grid
from oversight_gym.envs.weak_to_strong.metrics import (
    PGREstimate,
    median_pgr,
    paired_pgr_difference,
    pgr_bootstrap,
    pgr_by_group,
)
from oversight_gym.envs.weak_to_strong.models import check_learner_name, controls_loss, is_pretrained
from oversight_gym.envs.weak_to_strong.plots import plot_accuracy_and_pgr, plot_pretrained
from oversight_gym.envs.weak_to_strong.supervise import STUDENT_TRUST, SUPERVISOR_POLICIES, play_scripted
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

BURNS = "Burns et al. 2023, Weak-to-strong generalization"
VISION = "Burns et al. 2023, openai/weak-to-strong vision/README.md (linear probes on DINO features)"
SCRATCH = ("the paper fine-tunes pretrained GPT-4-family models on 22 NLP tasks; our scratch-trained students have no "
           "pretrained representation in which the task's concept is already available, so their PGR is expected to "
           "be lower")
LATENT = ("our latent tasks (a concept linear in 12 latent factors, observed through a random nonlinear mixture) and "
          "probes on small encoders pretrained without labels stand in for the paper's pretrained language models")
OVER_PAIRS = "over pairs"
LARGEST = "largest gap per task"
NAIVE_MEDIAN = Ref("median PGR", OVER_PAIRS, method="naive")
NAIVE_LARGEST = Ref("median PGR at each task's largest gap", LARGEST, method="naive")
CONFIDENCE_LARGEST = Ref("median PGR at each task's largest gap", LARGEST, method="confidence")
LATENT_SUP = "latent tasks, pretrained supervisors: "
LATENT_PRE = f"{LATENT_SUP}pretrained against scratch-trained students (naive)"
REAL_PRE = "real tasks, scratch supervisors: pretrained against scratch-trained students (naive)"
#: the pretraining ladder the claims read (pretraining steps of the probes' encoders)
PROBES = ("probe-p0", "probe-p300", "probe-p1000", "probe-p3000")
#: the two kinds of weak supervisor, reported apart (see :func:`supervisor_kind`)
SUPERVISOR_KINDS = ("pretrained", "scratch")


def _has(*methods: str) -> Any:
    """A claim's setting: the run trains the students with each of ``methods``."""
    return lambda p: all(m in p["methods"] for m in methods) and _soft(p)


def _soft(p: dict[str, Any]) -> bool:
    """Every claim reads students trained on the supervisor's probabilities, as the paper's are."""
    return p.get("weak_labels", "soft") == "soft"


def _paper_confidence_loss(p: dict[str, Any]) -> bool:
    """The paper's confidence loss: final weight 0.5, both methods run, soft weak labels."""
    return _has("naive", "confidence")(p) and p["a_max"] == 0.5


def _pretrained_ladder(p: dict[str, Any]) -> bool:
    """The run has latent tasks, the probe ladder of :data:`PROBES`, a scratch student and a
    pretrained supervisor (the paper's setting: its weak supervisors are smaller pretrained
    models of the students' family)."""
    strongs = list(p["strong"])
    return (any(str(t).startswith("latent") for t in p["tasks"]) and all(s in strongs for s in PROBES)
            and any(not s.startswith(("probe-", "tune-")) for s in strongs) and "naive" in p["methods"]
            and any(supervisor_kind(w) == "pretrained" for w in p["weak"]) and _soft(p))


def _real_probes(p: dict[str, Any]) -> bool:
    """The run has real tasks, the strongest probe and a scratch supervisor (the vision
    setting: AlexNet trained on the labels supervises probes on pretrained features)."""
    return any(not str(t).startswith(("latent", "synthetic")) for t in p["tasks"]) and \
        PROBES[-1] in list(p["strong"]) and "naive" in p["methods"] and \
        any(supervisor_kind(w) == "scratch" for w in p["weak"]) and _soft(p)


CLAIMS = [
    Claim.finding("naive-pgr-positive", "the naive student beats its weak supervisor (PGR > 0) on most pairs",
                  f"{BURNS}, sec. 4.2, Fig. 3", "yes", Ref("naive PGR positive on most pairs", OVER_PAIRS),
                  reason=SCRATCH, when=_has("naive")),
    Claim.value("naive-pgr-range", "median naive PGR over all pairs (every student and task), within the "
                "paper's range", f"{BURNS}, sec. 4.2, Fig. 3", (0.20, 0.80), NAIVE_MEDIAN,
                tolerance=0.05, above=0.0,
                reason=f"5 points: the range (above 20% throughout, often above 50% for the largest students) is "
                       f"read from the paper's figure; {SCRATCH}", when=_has("naive")),
    Claim.value("naive-largest-gap", "median PGR at each task's largest gap, naive", f"{BURNS}, sec. 4.3.2",
                0.25, NAIVE_LARGEST, tolerance=0.05,
                reason=f"5 points: the paper says 'about 25%', read from its figure; {SCRATCH}",
                when=_paper_confidence_loss),
    Claim.value("confidence-largest-gap", "median PGR at each task's largest gap, with the confidence loss",
                f"{BURNS}, sec. 4.3.2", 0.80, CONFIDENCE_LARGEST, tolerance=0.05, above=NAIVE_LARGEST,
                reason=f"5 points: the paper says 'nearly 80%', read from its figure; {SCRATCH}",
                when=_paper_confidence_loss),
    Claim.greater("confidence-raises-pgr", "the confidence loss raises the median PGR at the largest gap",
                  f"{BURNS}, sec. 4.3.2", CONFIDENCE_LARGEST, NAIVE_LARGEST, margin=0.05,
                  published="about 25% -> nearly 80%", when=_paper_confidence_loss,
                  reason=f"a rise of more than 5 points, so that noise between two medians of a few tasks does not "
                         f"count (the paper's is about 55); {SCRATCH}"),
    # the mechanism: pretrained students (sec. 6 of the paper). Thresholds fixed before the first full run; the
    # supervisors these claims read were changed afterwards, from every supervisor to the pretrained ones (the
    # paper's setup), after an exploratory run had shown their PGR (see the module docstring)
    Claim.ordered("latent-pgr-rises-with-pretraining", f"{LATENT_SUP}median naive PGR rises along the pretraining "
                  "ladder (probe-p0, -p300, -p1000, -p3000)",
                  f"{BURNS}, sec. 4.2 and 6 (PGR grows with the strong student)",
                  [Ref("median PGR", f"{LATENT_SUP}median PGR over (task, supervisor) pairs per student",
                       tasks="latent", strong=s, method="naive") for s in PROBES],
                  published="PGR increases with the student's strength", when=_pretrained_ladder,
                  reason=f"strictly increasing medians over 4 rungs; {LATENT}"),
    Claim.greater("latent-pretrained-median", f"{LATENT_SUP}median naive PGR of pretrained students "
                  "above 20%",
                  f"{BURNS}, sec. 4.2, Fig. 3",
                  Ref("median PGR, pretrained students", LATENT_PRE, tasks="latent", supervisors="pretrained"),
                  0.20,
                  published="above 20% on NLP tasks", when=_pretrained_ladder, reason=LATENT),
    Claim.greater("latent-strongest-above-half", f"{LATENT_SUP}median naive PGR of the strongest "
                  "pretrained student above 50%", f"{BURNS}, sec. 4.2, Fig. 3",
                  Ref("median PGR, strongest pretrained student", LATENT_PRE, tasks="latent", strong=PROBES[-1]),
                  0.50, published="often above 50% for the largest students", when=_pretrained_ladder,
                  reason=LATENT),
    Claim.greater("latent-scratch-below-pretrained", f"{LATENT_SUP}scratch students' median naive PGR "
                  "more than 10 points below the strongest pretrained student's",
                  f"{BURNS}, sec. 6 (the mechanism is pretraining)",
                  Ref("median PGR, strongest pretrained student", LATENT_PRE, tasks="latent", strong=PROBES[-1]),
                  Ref("median PGR, scratch-trained students", LATENT_PRE, tasks="latent"), margin=0.10,
                  published="students without pretraining recover little of the gap", when=_pretrained_ladder,
                  reason=f"10 points, more than the spread of medians between seeds of a few pairs; {LATENT}"),
    Claim.finding("latent-confidence-largest-gaps", f"{LATENT_SUP}the confidence loss raises PGR at "
                  "the largest gaps (paired 95% interval above 0)",
                  f"{BURNS}, sec. 4.3.2", "yes",
                  Ref("confidence loss raises PGR at the largest gaps",
                      f"{LATENT_SUP}confidence loss minus naive, pretrained students (paired bootstrap over seeds)",
                      tasks="latent", pairs="largest gaps"),
                  when=lambda p: _pretrained_ladder(p) and _paper_confidence_loss(p), reason=LATENT),
    Claim.value("real-probe-vision", "real data, scratch supervisors: median naive PGR of the strongest "
                "probe, beside the paper's vision probes",
                f"{VISION}: DINO ResNet50 58%, ViT-B/8 42%", (0.42, 0.58),
                Ref("median PGR, strongest pretrained student", REAL_PRE, tasks="real", strong=PROBES[-1],
                    supervisors="scratch"),
                tolerance=0.10, above=0.0, when=_real_probes,
                reason="10 points: two published probes 16 points apart on ImageNet with DINO features, against "
                       "autoencoders pretrained on a few hundred small tabular or 8x8 images; the number is the "
                       "analogue, not the same experiment"),
]
GAME_ID = "weak_to_strong/supervise-v0"
#: a pair: (task, weak, strong); an estimate's key adds the method
Key = tuple[str, str, str, str]


def _param(name: str) -> Param:
    return next(p for p in PARAMS if p.name == name)


def resolve_tasks(value: Any) -> list[str]:
    """Tasks of ``--tasks``, separated by ';' (synthetic options use commas; a list without
    options may use commas), given as typed or parsed; each is checked."""
    out: list[str] = []
    for t in _param("tasks").parse(value):
        out += [t] if ":" in t else [u.strip() for u in t.split(",") if u.strip()]
    for t in out:
        try:
            load_task(t)
        except ValueError as e:
            raise ValueError(f"--tasks: {e}") from None
    return out


def resolve_learners(name: str, value: Any) -> list[str]:
    """Learners of ``--weak`` or ``--strong`` (typed or parsed), each name checked."""
    items = list(_param(name).parse(value))
    for t in items:
        try:
            check_learner_name(t)
        except ValueError as e:
            raise ValueError(f"--{name}: {e}") from None
    return items


def resolve(params: dict[str, Any]) -> tuple[list[str], list[str], list[str], list[str], Settings]:
    """Tasks, weak supervisors, strong students, methods and training settings, checked."""
    settings = Settings(steps=params["steps"], a_max=params["a_max"], warmup=params["warmup"],
                        weak_labels=params["weak_labels"])
    return (resolve_tasks(params["tasks"]), resolve_learners("weak", params["weak"]),
            resolve_learners("strong", params["strong"]), list(_param("methods").parse(params["methods"])), settings)


def check(params: dict[str, Any]) -> None:
    """Every task and learner name is known, the confidence loss has a student that takes it,
    and the game view's learners are known (its student an mlp-... or probe-... learner)."""
    _, _, strongs, methods, _ = resolve(params)
    if "confidence" in methods and not any(controls_loss(s) for s in strongs):
        raise ValueError("--methods confidence needs at least one mlp-... or probe-... student in --strong")
    if params["game_episodes"] > 0:
        for name in ("game_task", "game_weak", "game_strong"):
            try:
                load_task(params[name]) if name == "game_task" else check_learner_name(params[name])
            except ValueError as e:
                raise ValueError(f"--{name.replace('_', '-')}: {e}") from None
        if not controls_loss(params["game_strong"]):
            raise ValueError(f"--game-strong must be an mlp-... or probe-... learner, got {params['game_strong']!r}")


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep weak-to-strong --grid a_max=0.25,0.5,0.75 ...``):
    every (task, weak, strong, method) of the parameters on one split ``seed``, as flat
    fields ``pgr:TASK:WEAK>STRONG:METHOD`` (a single seed's PGR; the report averages
    seeds). Pairs whose ceiling is not above the supervisor get no field."""
    tasks, weaks, strongs, methods, settings = resolve(params)
    chains = bootstrap_chains(strongs)
    out: dict[str, Any] = {}
    for task in tasks:
        for weak in weaks:
            for r in run_cell(task, seed, weak, strongs, methods, chains, settings):
                gap = r["ceiling_acc"] - r["weak_acc"]
                if gap > params["min_gap"]:
                    key = f"pgr:{task}:{weak}>{r['strong']}:{r['method']}"
                    out[key] = (r["student_acc"] - r["weak_acc"]) / gap
    return out


def compute(params: dict[str, Any], ctx: Context) -> tuple[list[dict], dict[Key, PGREstimate], list[dict]]:
    """The grid's records (``records.jsonl``, resumable), the PGR estimate of every (task,
    weak, strong, method) with its bootstrap interval over seeds, and the game view's
    records (``game.jsonl``; none when ``game_episodes`` is 0)."""
    tasks, weaks, strongs, methods, settings = resolve(params)
    seeds = [ctx.seed * 1000 + i for i in range(params["seeds"])]
    records = run_grid(ctx.path("records.jsonl"), tasks, weaks, strongs, methods, seeds, settings,
                       workers=ctx.workers, progress=ctx.progress)
    est = pgr_by_group(records, n_boot=params["n_boot"], seed=ctx.seed, min_gap=params["min_gap"])
    game_records: list[dict] = []
    if params["game_episodes"] > 0:
        game = make_game(GAME_ID, task=params["game_task"], weak=params["game_weak"], strong=params["game_strong"],
                         bins=4, trust_levels=5, steps=params["steps"])
        with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads only contend
            game_records = play_scripted(game, params["game_episodes"], ctx.seed)
    return records, est, game_records


def _pgr(name: str, e: PGREstimate, **kwargs: Any) -> Measure:
    """A PGR estimate: its value and bootstrap interval, or the text of an excluded pair."""
    if e.excluded:
        return Measure(name, str(e), n=e.n_seeds, **kwargs)
    interval = None if np.isnan(e.low) or np.isnan(e.high) else (e.low, e.high)
    return Measure(name, e.value, interval, e.n_seeds, unit="%", **kwargs)


def largest_gaps(est: dict[Key, PGREstimate], tasks: list[str]) -> dict[str, tuple[str, str]]:
    """Per task, the (weak, strong) pair with the largest gap among those with both a naive
    and a confidence-loss estimate (the paper's 'largest gap' comparison)."""
    included = {k: e for k, e in est.items() if not e.excluded}
    out = {}
    for t in tasks:
        cand = [(e.gap, k) for k, e in included.items() if k[0] == t and k[3] == "naive"
                and (k[0], k[1], k[2], "confidence") in included]
        if cand:
            _, k = max(cand)
            out[t] = (k[1], k[2])
    return out


def measures(params: dict[str, Any], records: list[dict], est: dict[Key, PGREstimate], game_records: list[dict],
             seed: int) -> list[Measure]:
    """Per (task, weak, strong): the supervisor's and the ceiling's test accuracies and the
    PGR of each method; over pairs: each method's median PGR (the paper's range beside the
    naive one), the pairs with PGR > 0 and those excluded; the median PGR at each task's
    largest gap, naive and with the confidence loss, beside the paper's; per task the paired
    change in PGR of each method against naive; and the game view's rows."""
    tasks, weaks, strongs, methods, _ = resolve(params)
    boot = {"n_boot": params["n_boot"], "seed": seed, "min_gap": params["min_gap"]}
    out = []
    group = "performance gap recovered per pair (95% bootstrap interval over seeds)"
    for t in tasks:
        for w in weaks:
            for s in strongs:
                base = est.get((t, w, s, "naive")) or next((est[k] for k in est if k[:3] == (t, w, s)), None)
                if base is None:
                    continue
                kw = {"setting": {"task": t, "weak": w, "strong": s}, "group": group}
                out += [Measure("weak supervisor accuracy", base.weak, n=base.n_seeds, unit="%", **kw),
                        Measure("strong ceiling accuracy", base.ceiling, n=base.n_seeds, unit="%", **kw)]
                out += [_pgr(f"PGR {m}", est[(t, w, s, m)], **kw) for m in methods if (t, w, s, m) in est]
    included = {k: e for k, e in est.items() if not e.excluded}
    group = OVER_PAIRS
    pairs = {k[:3] for k in est}
    excluded = {k[:3] for k, e in est.items() if e.excluded}
    out.append(Measure(f"pairs excluded (ceiling < {100 * params['min_gap']:g} points above the supervisor)",
                       len(excluded), n=len(pairs), unit="pairs", group=group))
    for m in methods:
        vals = [e for k, e in included.items() if k[3] == m]
        pos = sum(e.value > 0 for e in vals)
        kw = {"setting": {"method": m}, "group": group, "n": len(vals)}
        out += [Measure("median PGR", median_pgr(vals), unit="%", **kw),
                Measure("pairs with PGR > 0", pos, unit="pairs", **kw)]
        if m == "naive" and vals:
            out.append(Measure("naive PGR positive on most pairs", "yes" if pos > len(vals) / 2 else "no", **kw))
    largest = largest_gaps(est, tasks)
    if largest and "confidence" in methods:
        for m in ("naive", "confidence"):
            med = float(np.median([included[(t, w, s, m)].value for t, (w, s) in largest.items()]))
            out.append(Measure("median PGR at each task's largest gap", med, n=len(largest), unit="%",
                               setting={"method": m}, group=LARGEST))
    group = "PGR change against naive (mean over pairs, paired bootstrap over seeds)"
    for m in ("confidence", "bootstrap"):
        if m not in methods:
            continue
        for t in tasks:
            d = paired_pgr_difference([r for r in records if r["task"] == t], "naive", m, **boot)
            if d.n_pairs:
                kw = {"setting": {"task": t, "method": m}, "group": group, "n": d.n_pairs}
                out += [Measure("mean PGR change", 100 * d.value, (100 * d.low, 100 * d.high), unit="points",
                                digits=1, **kw),
                        Measure("distinguishable from zero", "yes" if d.measurable else "no", **kw)]
    out += pretrained_measures(params, records, est, seed)
    if game_records:
        out += game_measures(params, game_records, seed)
    return out


def is_latent(task: str) -> bool:
    return task.startswith("latent")


def ladder(strongs: list[str]) -> tuple[list[str], list[str]]:
    """The pretrained students (probes by pretraining steps, then fine-tuned ones by
    pretraining steps) and the scratch-trained ones."""
    pretrained = sorted((s for s in strongs if is_pretrained(s)),
                        key=lambda s: (s.startswith("tune-"), int(s.split("-p")[1])))
    return pretrained, [s for s in strongs if not is_pretrained(s)]


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def pretrained_measures(params: dict[str, Any], records: list[dict], est: dict[Key, PGREstimate],
                        seed: int) -> list[Measure]:
    """Pretrained against scratch-trained students (Burns et al. 2023, sec. 6): on the latent
    tasks and on the real ones separately, per student the median PGR over (task, supervisor)
    pairs of each method; over the pretrained pairs the median PGR, that of the strongest
    student and that of the scratch students; the confidence loss against naive at the
    largest gaps (paired over seeds) and the pairs where it hurts."""
    tasks, weaks, strongs, methods, _ = resolve(params)
    probes, scratch = ladder(strongs)
    if not probes:
        return []
    out: list[Measure] = []
    for sup in SUPERVISOR_KINDS:
        if any(supervisor_kind(w) == sup for w in weaks):
            out += _pretrained_measures_for(sup, params, records, est, seed, tasks, probes, scratch, methods)
    return out


def supervisor_kind(weak: str) -> str:
    """``pretrained`` for a weak supervisor on a pretrained encoder (probe-pS, tune-pS), as the
    paper's smaller pretrained models are; ``scratch`` for the others (trees, logistic
    regressions, MLPs), as its vision supervisor (AlexNet trained on the labels) is."""
    return "pretrained" if is_pretrained(weak) else "scratch"


def _pretrained_measures_for(sup: str, params: dict[str, Any], records: list[dict], est: dict[Key, PGREstimate],
                             seed: int, tasks: list[str], probes: list[str], scratch: list[str],
                             methods: list[str]) -> list[Measure]:
    """:func:`pretrained_measures` over the pairs whose weak supervisor is of kind ``sup``."""
    strongest = [s for s in probes if s.startswith("probe-")][-1:] or probes[-1:]  # the best-pretrained probe
    boot = {"n_boot": params["n_boot"], "seed": seed, "min_gap": params["min_gap"]}
    included = {k: e for k, e in est.items() if not e.excluded and supervisor_kind(k[1]) == sup}
    records = [r for r in records if supervisor_kind(r["weak"]) == sup]
    out: list[Measure] = []
    for kind, mine in (("latent", [t for t in tasks if is_latent(t)]), ("real", [t for t in tasks
                                                                              if not is_latent(t)])):
        if not mine:
            continue
        where = {"tasks": kind, "supervisors": sup}
        group = f"{kind} tasks, {sup} supervisors: median PGR over (task, supervisor) pairs per student"
        for s in [*probes, *scratch]:
            ceil = [e.ceiling for k, e in est.items() if k[0] in mine and k[2] == s and k[3] == "naive"]
            kw = {"setting": {**where, "strong": s}, "group": group}
            out.append(Measure("strong ceiling accuracy", _median(ceil), n=len(ceil), unit="%", **kw))
            for m in methods:
                vals = [e.value for k, e in included.items() if k[0] in mine and k[2] == s and k[3] == m]
                out.append(Measure("median PGR", _median(vals), n=len(vals), unit="%",
                                   setting={**kw["setting"], "method": m}, group=group))
        group = f"{kind} tasks, {sup} supervisors: pretrained against scratch-trained students (naive)"
        pre = [e.value for k, e in included.items() if k[0] in mine and k[2] in probes and k[3] == "naive"]
        top = [e.value for k, e in included.items() if k[0] in mine and k[2] == strongest[0] and k[3] == "naive"]
        scr = [e.value for k, e in included.items() if k[0] in mine and k[2] in scratch and k[3] == "naive"]
        out += [Measure("median PGR, pretrained students", _median(pre), n=len(pre), unit="%",
                        setting=where, group=group),
                Measure("median PGR, strongest pretrained student", _median(top), n=len(top), unit="%",
                        setting={**where, "strong": strongest[0]}, group=group)]
        if scratch:
            out.append(Measure("median PGR, scratch-trained students", _median(scr), n=len(scr), unit="%",
                               setting=where, group=group))
        if "confidence" not in methods:
            continue
        # the largest gaps: per task, the strongest pretrained student under each task's weakest supervisor
        group = f"{kind} tasks, {sup} supervisors: confidence loss minus naive, pretrained students (paired " \
                f"bootstrap over seeds)"
        largest = []
        for t in mine:
            weak_acc = {k[1]: e.weak for k, e in included.items() if k[0] == t and k[2] == strongest[0]
                        and k[3] == "naive"}
            if weak_acc:
                largest.append((t, min(weak_acc, key=lambda w: weak_acc[w]), strongest[0]))
        if largest:
            recs = [r for r in records if (r["task"], r["weak"], r["strong"]) in largest]
            d = paired_pgr_difference(recs, "naive", "confidence", **boot)
            kw = {"setting": {**where, "pairs": "largest gaps"}, "group": group, "n": d.n_pairs}
            out += [Measure("PGR change at the largest gaps", 100 * d.value, (100 * d.low, 100 * d.high),
                            unit="points", digits=1, **kw),
                    Measure("confidence loss raises PGR at the largest gaps",
                            "yes" if d.measurable and d.value > 0 else "no", **kw)]
        else:  # said, not left out: every pair at the strongest probe was excluded (no gap to recover)
            out.append(Measure("confidence loss raises PGR at the largest gaps", "no pair (every pair excluded)",
                               setting={**where, "pairs": "largest gaps"}, group=group, n=0))
        pretrained_pairs = [k for k in sorted(included) if k[0] in mine and k[2] in probes and k[3] == "naive"
                            and (*k[:3], "confidence") in included]
        hurts = 0
        for k in pretrained_pairs:
            d = paired_pgr_difference([r for r in records if (r["task"], r["weak"], r["strong"]) == k[:3]],
                                      "naive", "confidence", **boot)
            if d.measurable and d.value < 0:  # where it hurts: one row per such pair
                hurts += 1
                out.append(Measure("confidence loss lowers PGR here", 100 * d.value, (100 * d.low, 100 * d.high),
                                   unit="points", digits=1, n=d.n_seeds, group=group,
                                   setting={"task": k[0], "weak": k[1], "strong": k[2]}))
        out.append(Measure("pairs where the confidence loss lowers PGR (interval below 0)", hurts,
                           n=len(pretrained_pairs), unit="pairs", setting=where, group=group))
    return out


def game_measures(params: dict[str, Any], game_records: list[dict], seed: int) -> list[Measure]:
    """The game view: per (supervisor policy, student trust) the student's accuracy, its PGR
    (bootstrap over episodes) and the share of labels provided; the supervisor's and the
    ceiling's accuracies are the same in every row (the same splits)."""
    group = (f"game view: {GAME_ID} on {params['game_task']}, supervisor {params['game_weak']}, student "
             f"{params['game_strong']}, {params['game_episodes']} episodes per row")
    out = []
    for pname in SUPERVISOR_POLICIES:
        for tname in STUDENT_TRUST:
            mine = [r for r in game_records if r["policy"] == pname and r["student_choice"] == tname]
            e = pgr_bootstrap([r["weak_acc"] for r in mine], [r["student_acc"] for r in mine],
                              [r["ceiling_acc"] for r in mine], n_boot=params["n_boot"], seed=seed,
                              min_gap=params["min_gap"])
            if not out:
                out += [Measure("weak supervisor accuracy", e.weak, n=e.n_seeds, unit="%", group=group),
                        Measure("strong ceiling accuracy", e.ceiling, n=e.n_seeds, unit="%", group=group)]
            kw = {"setting": {"supervisor": pname, "student": tname}, "group": group}
            out += [Measure("student accuracy", e.student, n=e.n_seeds, unit="%", **kw),
                    _pgr("PGR", e, **kw),
                    Measure("labels provided", mine[0]["provided_fraction"], unit="%", **kw)]
    return out


def notes(params: dict[str, Any], est: dict[Key, PGREstimate]) -> list[str]:
    tasks, _, _, methods, _ = resolve(params)
    out = [
        "PGR = (student - weak) / (ceiling - weak), accuracies on the held-out test split; point estimate = ratio of "
        "the mean accuracies over seeds; [95% percentile bootstrap over seeds]; n = seeds.",
        f"Excluded: pairs whose ceiling is less than {100 * params['min_gap']:g} points above the weak supervisor "
        "(left out of the medians and of the paired changes).",
        "Bootstrap: weak -> each smaller student of the same kind (scratch or pretrained) in turn -> student, labels "
        "cross-fitted (2 folds); not run for the smallest of each kind. Confidence loss: only for mlp-... and "
        "probe-... students.",
        "Published: Burns et al. 2023 fine-tune pretrained GPT-4-family models on 22 NLP tasks (plus chess and reward "
        "modelling); ours are small students on latent-structure and bundled tabular tasks, so these are not the "
        "paper's tasks and the numbers are not directly comparable.",
        "Students: mlp-... trained from scratch; probe-pS = linear probe on an encoder (64-32 ReLU) pretrained S "
        "steps without the task's labels: on latent tasks to predict 64 other functions of the latent factors on an "
        "unlabelled pool, on real data sets to reconstruct the inputs (all of the task's inputs, test split included, "
        "no labels); probe-p0 is the untrained encoder (random features); tune-pS fine-tunes that encoder with a "
        "fresh head.",
        "Supervisors: pretrained (probe-pS, as the paper's smaller pretrained models) and scratch-trained (lr-..., "
        "tree-..., as its vision supervisor AlexNet) are summarised apart; the latent claims read the pretrained ones, "
        "the vision analogue the scratch ones.",
        "Largest gaps (pretrained students): per task and kind of supervisor, the strongest probe under the task's "
        "weakest supervisor; the confidence loss minus naive there is a paired bootstrap over seeds; rows 'lowers PGR "
        "here' list every pretrained pair whose paired interval lies below zero.",
        "PGR change against naive: mean over the pairs both methods were run on of PGR(method) - PGR(naive), "
        "seeds resampled jointly; distinguishable from zero when its 95% interval excludes 0.",
    ]
    largest = largest_gaps(est, tasks)
    if largest and "confidence" in methods:
        out.append("Largest gap per task (weak > strong): " + "; ".join(f"{t} {w} > {s}"
                                                                     for t, (w, s) in largest.items()) + ".")
    if params["game_episodes"] > 0:
        out.append(f"Game view: {GAME_ID} on {params['game_task']} ({params['game_weak']} supervisor, "
                   f"{params['game_strong']} student, 4 confidence bins), {params['game_episodes']} episodes per row, "
                   "scripted seats; the same episode seeds (splits) in every row; records in game.jsonl.")
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    tasks, weaks, strongs, methods, settings = resolve(params)
    records, est, game_records = compute(params, ctx)
    files = [ctx.path("records.jsonl")]
    if game_records:
        game_file = ctx.path("game.jsonl")
        game_file.write_text("".join(json.dumps(r, default=str) + "\n" for r in game_records))
        files.append(game_file)
    files.append(plot_accuracy_and_pgr(records, est, tasks, weaks, strongs, ctx.path("weak_to_strong.png")))
    if any(is_pretrained(s) for s in strongs) and "naive" in methods:
        files.append(plot_pretrained(records, est, tasks, weaks, strongs, ctx.path("weak_to_strong_pretrained.png")))
    title = (f"Weak-to-strong generalisation (Burns et al. 2023), pretrained and scratch students: "
             f"{params['seeds']} seeds, students trained {settings.steps} steps on {settings.weak_labels} weak labels, "
             f"confidence loss a_max={settings.a_max}")
    return ScenarioResult(title, measures(params, records, est, game_records, ctx.seed), notes(params, est),
                          files)


PARAMS = [
    Param("tasks", str, "latent;latent:seed=1;latent:k=3;digits-odd;digits;cancer",
          "tasks separated by ';' (cancer, digits, digits-odd, wine, iris, diabetes-high, synthetic:OPTS, "
          "latent:OPTS)", quick="latent;digits-odd", many=True, sep=";"),
    Param("weak", str, "probe-p30,probe-p100,lr-f2,lr-f8,tree-d2,tree-d6", "weak supervisors, comma-separated "
          "ladder names: pretrained (probe-pS, the students' encoders pretrained fewer steps, as the paper's "
          "supervisors are smaller pretrained models) and trained from scratch (lr-..., tree-..., ...)",
          quick="probe-p30,lr-f2,tree-d6", many=True),
    Param("strong", str, "mlp-0,mlp-64-32," + ",".join(PROBES), "strong students, smallest first: scratch-trained "
          "(mlp-...), pretrained probes (probe-pS: encoder pretrained S steps without labels) and fine-tuned "
          "pretrained students (tune-pS); bootstrapping goes through the smaller ones of the same kind",
          quick="mlp-64-32,probe-p0,probe-p3000", many=True),
    Param("methods", str, "naive,confidence,bootstrap", "comma list of naive, confidence, bootstrap", many=True,
          choices=METHODS),
    Param("seeds", int, 10, "seeds (splits and initialisations) per pair; intervals are over seeds", quick=3, low=2,
          high=1000),
    Param("steps", int, 100, "training steps of the numpy students", low=1, high=1_000_000),
    Param("weak_labels", str, "soft", "what the student trains on: the supervisor's probabilities (soft, the "
          "paper's) or its predicted classes (hard)", choices=("soft", "hard")),
    Param("a_max", float, 0.5, "final weight of the auxiliary confidence loss", low=0, high=1),
    Param("warmup", float, 0.2, "fraction of training over which the confidence weight warms up", low=0, high=1),
    Param("n_boot", int, 2000, "bootstrap resamples for the intervals", quick=200, low=10, high=1_000_000),
    Param("min_gap", float, 0.01, "exclude pairs whose ceiling is less than this above the weak supervisor", low=0,
          high=1, open_high=True),
    Param("game_episodes", int, 20, "episodes per (supervisor policy, student trust) of the game view "
          "(0 = skip)", quick=2, low=0, high=100_000),
    Param("game_task", str, "digits", "task of the game view"),
    Param("game_weak", str, "tree-d6", "supervisor of the game view"),
    Param("game_strong", str, "mlp-32", "student of the game view (an mlp-... or probe-... learner)"),
]

SCENARIO = Scenario(
    name="weak-to-strong",
    description="Weak-to-strong generalisation with pretrained and scratch students: PGR, confidence loss, "
                "bootstrapping (Burns et al. 2023)",
    quick_note="few tasks, learners and seeds; run without --quick for the full grid.",
    citation="Burns et al. 2023, Weak-to-strong generalization: eliciting strong capabilities with weak "
             "supervision, arXiv 2312.09390",
    params=PARAMS,
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
    reproduce={"seeds": 10, "methods": "naive,confidence", "game_episodes": 0},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
