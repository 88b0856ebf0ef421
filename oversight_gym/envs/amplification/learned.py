"""Agents of ``amplification/amplify-v0`` and the learned models of iterated amplification
(Christiano, Shlegeris, Amodei 2018, arXiv 1810.08575).

* :class:`LearnedModelAgent`: a trained M (:class:`AttentionModel`) in the model seat;
* :class:`LearnedOverseerAgent`: a trained H' (:class:`LearnedOverseer`) in the overseer seat;
* :class:`AttentionModel`: M, a small attention model over the instance's set of facts that
  reads a question and predicts the answer token (torch; the paper's M is an attention
  model over facts too);
* :class:`LearnedOverseer`: H', a model of H's transcripts: given a question and the
  answers so far it predicts H's next move (a subquestion or the answer).

The scripted overseer H, the oracle M and the aggregation-tree node are in
:mod:`oversight_gym.envs.amplification.scripted`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_float, check_int
from oversight_gym.core.protocols import Classifier
from oversight_gym.envs.amplification.scripted import OracleModel

#: M's attention heads (its width must be a multiple of them)
HEADS = 4


class LearnedModelAgent(BaseAgent):
    """A trained M (:class:`AttentionModel`) in the ``model`` seat of ``amplification/amplify-v0``:
    it reads the instance's facts and the subquestion in hand and answers. Without a model
    (``LearnedModelAgent()``, as the agent registry builds it) it answers every question with
    token 0, an untrained M."""

    name = "amplification-learned-model"
    description = "a trained attention model M answering subquestions from the facts"
    classifier = Classifier(honest=True, deterministic=True, learns=True)
    requires_state = True
    games = ("amplification/amplify-v0",)

    def __init__(self, model: Any = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.model = model

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        g = state.game
        token = 0 if self.model is None else int(self.model(state.instance, state.question_in_hand()))
        token = min(max(token, 0), g.num_answers - 1)
        return g.answer_action(token)


class LearnedOverseerAgent(BaseAgent):
    """H' in the ``overseer`` seat of ``amplification/amplify-v0``: a trained
    :class:`LearnedOverseer` proposes the next move from the question in hand and the
    subquestions answered so far; moves outside the game's budget or range fall back to
    answering. Without a trained H' (``LearnedOverseerAgent()``) it plays the scripted H."""

    name = "amplification-learned-overseer"
    description = "a learned overseer H' imitating H's decompositions"
    classifier = Classifier(honest=True, deterministic=True, learns=True)
    requires_state = True
    games = ("amplification/amplify-v0",)

    def __init__(self, overseer: LearnedOverseer | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.overseer = overseer

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        from oversight_gym.envs.amplification.amplify import OVERSEER, scripted_overseer_action

        state = self._need_state(state)
        g = state.game
        if state.current_player() != OVERSEER:
            return OracleModel().act(observation, action_mask, state)
        if self.overseer is None:
            return scripted_overseer_action(state)
        top = state.stack[-1]
        moves, _ = self.overseer.propose([state.instance], [top.question], [tuple(top.asked)])
        kind, value = moves[0]
        if kind == "ask":
            action = g.encode_question(value)
            if state.is_legal(OVERSEER, action):
                return action
            value = g.num_answers - 1
        return g.answer_action(min(max(int(value), 0), g.num_answers - 1))


# ------------------------------------------------------------------------------------
# The learned model M and iterated distillation and amplification
# ------------------------------------------------------------------------------------
def require_torch() -> Any:
    """The ``torch`` module, or an ImportError that says how to install it (an optional extra)."""
    try:
        import torch
    except ImportError as err:
        raise ImportError("the learned amplification model M needs torch, an optional extra: pip install "
                          "'oversight-gym[rl]' (for the CPU build of torch, first: pip install torch --index-url "
                          "https://download.pytorch.org/whl/cpu)") from err
    return torch


BITS = 8  # integer arguments also enter as their binary digits (wildcard patterns are bit masks)
VOCAB = 2 * 64 + 2  # every name, value, distance and sum token of the five tasks at full size


#: tasks whose M runs its layers again and again, as many passes as the instance needs
#: (:meth:`AttentionModel.passes`): sigma^k(x) is k lookups and each layer makes about one,
#: so a fixed depth caps k (3 layers answered k <= 3 at 8 names, 6 layers k <= 5; 3 layers
#: run 3 times, k <= 7, all of them). The weights are shared, so the depth can follow the
#: instance's size through the curriculum.
LOOP_TASKS = ("permutation_powering",)

#: training settings of :func:`train_model` by task, where they differ from
#: :data:`DEFAULT_TRAINING`. Permutation powering's M is deep (its layers run once per three
#: names): at lr 1e-3 with the target copy refreshed every 50 steps, IDA sat at k = 1 for
#: 3,000 steps on one seed of three (k <= 3 on that seed with either change, at 8 names)
TASK_TRAINING = {"permutation_powering": {"lr": 5e-4, "target_every": 250}}
DEFAULT_TRAINING = {"lr": 1e-3, "target_every": 50}


def training_settings(task: str, lr: float | None = None, target_every: int | None = None) -> dict[str, Any]:
    """M's learning rate and IDA's target-copy interval for ``task``: the given values, or
    the task's defaults (:data:`TASK_TRAINING`, else :data:`DEFAULT_TRAINING`)."""
    base = {**DEFAULT_TRAINING, **TASK_TRAINING.get(task, {})}
    if lr is not None:
        check_float("lr", lr, 0.0, 1.0)
    if target_every is not None:
        check_int("target_every", target_every, 0)
    return {"lr": base["lr"] if lr is None else lr,
            "target_every": base["target_every"] if target_every is None else target_every}


#: tasks whose M is built with the identity bias by default: where it was measured to help
#: (permutation powering: IDA's M from 13% to 61% at 8 names); elsewhere it is unmeasured
#: and costs 2-4x per step, so it is off unless asked for
IDENTITY_TASKS = ("permutation_powering",)


def _net(n_fk: int, n_qk: int, n_out: int, d: int, heads: int, layers: int, steps: int,
         identity: bool = False, loops: int = 1) -> Any:
    """The attention network shared by M and H': a question token, ``steps`` transcript
    tokens (H' only: the subquestions asked so far with their answers) and the fact tokens,
    through a transformer encoder; the logits are read off the question token.

    ``identity``: every layer's attention scores get a learned bias (per layer and head) for
    each way two tokens share an argument value (token i's argument p equals token j's
    argument q, by the kinds of the two tokens: question, transcript step or fact). Matching
    tokens by identity through the value embeddings alone is a bilinear problem that plain
    attention learns only after a long plateau (a lookup "the fact whose first argument is
    x" sat at chance for ~700 steps at 8 names, and under IDA, mixed with the targets of an
    untrained M, never left it); the bias makes such lookups immediate. Costs 2-4x per step
    at 64 names. ``loops``: the default number of passes through the layers (the forward
    call can ask for another); each pass reuses the same weights and adds about one lookup
    per layer."""
    torch = require_torch()
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.val = nn.Embedding(VOCAB, d)
            self.fkind = nn.Embedding(n_fk, d)
            self.qkind = nn.Embedding(n_qk, d)
            self.fact_in = nn.Linear(3 * (d + BITS), d)
            self.q_in = nn.Linear(2 * (d + BITS), d)
            if steps:
                self.step_in = nn.Linear(3 * (d + BITS), d)
                self.step_pos = nn.Embedding(steps, d)
            layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
            self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.heads = heads
            self.loops = loops
            if identity:  # 3 x 3 token-kind pairs x 3 x 3 argument pairs, per layer and head
                # unit-scale random start: some heads attend by identity from step 0 (from zeros the
                # lookup still sat on a ~300-step plateau, and IDA's noisy early targets kept it there)
                self.rel = nn.Parameter(torch.randn(layers, 81, heads))
            self.norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, n_out)
            self.register_buffer("pow2", 2 ** torch.arange(BITS))

        def arg(self, x: Any) -> Any:
            bits = ((x.unsqueeze(-1) // self.pow2) % 2).float()
            return torch.cat([self.val(x), bits], dim=-1)

        def forward(self, facts: Any, pad: Any, q: Any, hist: Any = None, hist_pad: Any = None,
                    loops: int | None = None) -> Any:
            loops = loops or self.loops
            f = self.fkind(facts[..., 0]) + self.fact_in(torch.cat([self.arg(facts[..., i]) for i in (1, 2, 3)], -1))
            qt = self.qkind(q[:, 0]) + self.q_in(torch.cat([self.arg(q[:, 1]), self.arg(q[:, 2])], dim=-1))
            parts, masks = [qt.unsqueeze(1)], [torch.zeros_like(pad[:, :1])]
            if hist is not None:  # (B, S, 4): subquestion kind, a, b and its answer
                pos = self.step_pos(torch.arange(hist.shape[1]))
                h = (self.qkind(hist[..., 0]) + pos
                     + self.step_in(torch.cat([self.arg(hist[..., i]) for i in (1, 2, 3)], -1)))
                parts.append(h)
                masks.append(hist_pad)
            parts.append(f)
            masks.append(pad)
            x = torch.cat(parts, dim=1)
            mask = torch.cat(masks, dim=1)
            if not hasattr(self, "rel"):
                for _ in range(loops):
                    x = self.enc(x, src_key_padding_mask=mask)
                return self.out(self.norm(x[:, 0]))
            # argument values and kinds of every token: question (a, b, -), steps (a, b, answer), facts
            args = [torch.cat([q[:, 1:3], torch.full_like(q[:, :1], -1)], 1).unsqueeze(1)]
            kinds = [torch.zeros_like(q[:, :1])]
            if hist is not None:
                args.append(hist[..., 1:4])
                kinds.append(torch.ones_like(hist[..., 0]))
            args.append(facts[..., 1:4])
            kinds.append(torch.full_like(facts[..., 0], 2))
            a, kind = torch.cat(args, 1), torch.cat(kinds, 1)  # (B, L, 3), (B, L)
            eq = (a[:, :, None, :, None] == a[:, None, :, None, :]) & (a[:, :, None, :, None] >= 0)
            b, n = kind.shape
            nl = len(self.enc.layers)
            eq = eq.float().reshape(b, n, n, 9)
            pair = kind[:, :, None] * 3 + kind[:, None, :]  # (B, L, L): which of the 9 kind pairs
            present = [int(k) for k in torch.unique(pair)]
            sel = {k: (pair == k).unsqueeze(-1).float() for k in present}
            neg = torch.zeros(1, b, 1, 1, n).masked_fill(mask[None, :, None, None, :], float("-inf"))
            w = self.rel.reshape(nl, 9, 9, self.heads).permute(1, 2, 0, 3).flatten(2)
            every = sum(sel[k] * (eq @ w[k]) for k in present)  # (B, L, L, layers * heads)
            every = every.reshape(b, n, n, nl, self.heads).permute(3, 0, 4, 1, 2) + neg
            for _ in range(loops):  # the same layers again: one more lookup per layer and pass
                for i, lay in enumerate(self.enc.layers):
                    bias = every[i].reshape(b * self.heads, n, n)
                    # the pre-norm layer written out: torch's inference fast path mishandles float masks
                    h = lay.norm1(x)
                    x = x + lay.self_attn(h, h, h, attn_mask=bias, need_weights=False)[0]
                    x = x + lay.linear2(lay.activation(lay.linear1(lay.norm2(x))))
            return self.out(self.norm(x[:, 0]))

    return Net()


def encode_facts(insts: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Padded fact arrays ``(B, F, 4)`` and their padding masks."""
    width = max(len(i.facts) for i in insts)
    facts = np.zeros((len(insts), width, 4), dtype=np.int64)
    pad = np.ones((len(insts), width), dtype=bool)
    for r, inst in enumerate(insts):
        arr = inst.data.get("_fact_array")
        if arr is None:
            arr = inst.data["_fact_array"] = inst.fact_array()
        facts[r, :len(arr)] = arr
        pad[r, :len(arr)] = False
    return facts, pad


class AttentionModel:
    """M: a transformer over the set of an instance's facts and one question token, reading
    the answer off the question token (the paper's M attends over the facts too).

    Each fact ``(kind, a, b, c)`` becomes one token: the sum of a kind embedding and a
    projection of its three arguments (a shared value embedding plus the argument's binary
    digits, by role); the question ``(kind, a, b)`` likewise. No positional encoding: the
    facts are a set. With ``identity`` (default: for the tasks in :data:`IDENTITY_TASKS`)
    attention is biased by which tokens share argument values (see :func:`_net`), so M can
    find "the fact about x" by token identity. ``loops``: how many times the layers run (the
    same weights each time, so each pass adds lookups, not parameters); by default
    :meth:`passes` chooses from the instance's size for the tasks in :data:`LOOP_TASKS`.
    Answers are restricted to the instance's answer range. ``predict`` answers a batch;
    ``train_step`` is one Adam step of cross-entropy on given target tokens.
    """

    def __init__(self, task: Any, d_model: int = 64, heads: int = HEADS, layers: int = 3, lr: float = 1e-3,
                 seed: int = 0, identity: bool | None = None, loops: int | None = None) -> None:
        torch = require_torch()

        from oversight_gym.envs.amplification.tasks import FULL_SIZE, get_task

        self.task = get_task(task)
        self.n_answers = self.task.answer_size(FULL_SIZE)
        torch.manual_seed(seed)
        d = d_model

        if identity is None:
            identity = self.task.name in IDENTITY_TASKS
        if loops is not None:
            check_int("loops", loops, 1)
        self.loops, self.layers = loops, layers
        self.net = _net(len(self.task.fact_kinds), len(self.task.kinds), self.n_answers, d, heads, layers, steps=0,
                        identity=identity)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.torch = torch
        self.examples_seen = 0

    def encode(self, insts: list[Any], questions: list[Any]) -> tuple[Any, Any, Any]:
        torch = self.torch
        facts, pad = encode_facts(insts)
        q = np.asarray(questions, dtype=np.int64).reshape(-1, 3)
        return torch.from_numpy(facts), torch.from_numpy(pad), torch.from_numpy(q)

    def passes(self, size: int) -> int:
        """How many times the layers run on instances of ``size``: ``loops`` if given; for
        the tasks in :data:`LOOP_TASKS` enough passes for one lookup per name
        (``ceil(size / layers)``); otherwise once."""
        if self.loops is not None:
            return self.loops
        if self.task.name in LOOP_TASKS:
            return -(-size // self.layers)
        return 1

    def logits(self, insts: list[Any], questions: list[Any]) -> Any:
        """The answer logits; tokens outside the instance's answer range (names beyond its
        size) are masked out, so an untrained M's answers stay legal names and H's
        subquestions built from them stay meaningful."""
        facts, pad, q = self.encode(insts, questions)
        logits = self.net(facts, pad, q, loops=self.passes(max(i.size for i in insts)))
        sizes = {i.size for i in insts}
        if len(sizes) == 1:
            n = self.task.answer_size(sizes.pop())
            return logits[:, :n] if n < self.n_answers else logits
        n = self.torch.as_tensor([self.task.answer_size(i.size) for i in insts])
        return logits.masked_fill(self.torch.arange(self.n_answers)[None, :] >= n[:, None], -1e9)

    def predict(self, insts: list[Any], questions: list[Any], batch: int = 512) -> np.ndarray:
        """Answer tokens for each (instance, question) pair."""
        out = []
        self.net.eval()
        with self.torch.no_grad():
            for s in range(0, len(questions), batch):
                out.append(self.logits(insts[s:s + batch], questions[s:s + batch]).argmax(-1).numpy())
        self.net.train()
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def train_step(self, insts: list[Any], questions: list[Any], targets: list[int] | np.ndarray) -> float:
        torch = self.torch
        logits = self.logits(insts, questions)
        y = np.asarray(targets, dtype=np.int64).copy()
        # a target outside the instance's answer range (e.g. the "none" fallback of an
        # amplification that ran out of subquestions) is no answer M could give: skipped
        y[(y < 0) | (y >= np.array([self.task.answer_size(i.size) for i in insts]))] = -100
        if (y == -100).all():
            return float("nan")
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y), ignore_index=-100)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.examples_seen += len(questions)
        return float(loss.item())

    def __call__(self, inst: Any, q: Any) -> int:
        return int(self.predict([inst], [q])[0])


def amplify_batch(task: Any, insts: list[Any], questions: list[Any], model: Any,
                  decompose: Any = None) -> tuple[np.ndarray, int]:
    """Amplify^H(M) on a batch: H (or ``decompose``, e.g. a learned H') decomposes every
    question, all pending subquestions of a round are answered by one batched call of
    ``model.predict``. Returns the answers and the number of subquestions asked."""
    decompose = decompose or task.decompose
    gens = [decompose(i, q) for i, q in zip(insts, questions, strict=True)]
    answers = np.zeros(len(gens), dtype=np.int64)
    pending: dict[int, Any] = {}
    for j, g in enumerate(gens):
        try:
            pending[j] = next(g)
        except StopIteration as stop:
            answers[j] = stop.value
    asked = 0
    while pending:
        idx = list(pending)
        asked += len(idx)
        sub = model.predict([insts[j] for j in idx], [pending[j] for j in idx])
        nxt: dict[int, Any] = {}
        for j, a in zip(idx, sub.tolist(), strict=True):
            try:
                nxt[j] = gens[j].send(int(a))
            except StopIteration as stop:
                answers[j] = stop.value
        pending = nxt
    return answers, asked


def sample_batch(task: Any, size: int, n: int, rng: np.random.Generator, per_instance: int = 8,
                 root: bool = False) -> tuple[list[Any], list[Any]]:
    """``n`` questions from the distribution H asks (``root``: the main questions only),
    ``per_instance`` per freshly generated instance."""
    insts, qs = [], []
    while len(qs) < n:
        inst = task.generate(rng, size)
        for _ in range(min(per_instance, n - len(qs))):
            insts.append(inst)
            qs.append(task.sample_question(inst, rng, root=root))
    return insts, qs


def accuracy(task: Any, model: Any, insts: list[Any], qs: list[Any]) -> float:
    """M's accuracy against the ground truth."""
    pred = model.predict(insts, qs)
    truth = np.array([task.answer(i, q) for i, q in zip(insts, qs, strict=True)])
    return float(np.mean(pred == truth))


def train_model(task: Any, mode: str, steps: int, sizes: tuple[int, ...] = (8,), batch: int = 64,
                eval_every: int = 100, eval_questions: int = 400, advance_at: float = 0.9, min_stage_steps: int = 200,
                seed: int = 0, model_kwargs: dict[str, Any] | None = None, learned_overseer: bool = False,
                confidence: float = 0.9, progress: bool = False, on_eval: Any = None,
                minutes: float = 0.0, target_every: int | None = None) -> dict[str, Any]:
    """Train M by iterated distillation and amplification (``mode="ida"``: every target is
    Amplify^H(M)'s answer, H decomposing and the current M answering the subquestions; M
    never sees a ground-truth label) or by supervised learning on the ground truth
    (``mode="supervised"``), on the same batches, with a curriculum over ``sizes``.

    With ``learned_overseer`` (IDA only) H' (:class:`LearnedOverseer`) is trained on H's
    moves and makes every move it is at least ``confidence`` sure of; H is called for the
    others. The curriculum moves to the next size once M agrees with its own training
    targets on ``advance_at`` of a validation batch (Amplify's answers for IDA, the ground
    truth for supervised) after at least ``min_stage_steps`` steps at the size. Every
    ``eval_every`` steps M is evaluated against the ground truth on held-out instances (new
    fact sets) of every size of the curriculum (``acc_by_size``; ``acc_current`` and
    ``acc_largest`` pick the current and the largest), and Amplify^H(M) (and
    Amplify^{H'}(M)) on the current size. ``minutes > 0`` also stops the run after that much wall time (then
    the number of steps depends on the machine). Returns the learning curve, the model(s)
    and the calls to H. M's learning rate (``model_kwargs["lr"]``) and ``target_every``
    default to the task's (:func:`training_settings`). ``target_every > 0``: the copy of M
    that answers the subquestions inside Amplify is frozen and refreshed every
    ``target_every`` steps (a target network,
    which steadies the bootstrap); 0: the current M."""
    import copy
    import time

    from oversight_gym.core.errors import check_choice
    from oversight_gym.envs.amplification.tasks import get_task

    torch = require_torch()
    task = get_task(task)
    check_choice("mode", mode, ("ida", "supervised"))
    check_int("steps", steps, 1)
    check_float("advance_at", advance_at, 0.0, 1.0)
    if learned_overseer and mode != "ida":
        raise ValueError("learned_overseer=True needs mode='ida' (H' learns from H's decompositions)")
    kwargs = dict(model_kwargs or {})
    opts = training_settings(task.name, kwargs.pop("lr", None), target_every)
    target_every = opts["target_every"]
    model = AttentionModel(task, seed=seed, lr=opts["lr"], **kwargs)
    answerer = model
    hprime = LearnedOverseer(task, seed=seed) if learned_overseer else None
    rng = np.random.default_rng([seed, 1])
    held = np.random.default_rng([seed, 2])  # held-out instances: never trained on
    evals = {s: sample_batch(task, s, eval_questions, held, root=True) for s in sizes}
    truths = {s: np.array([task.answer(i, q) for i, q in zip(*evals[s], strict=True)]) for s in sizes}
    stage, stage_steps = 0, 0
    counts = {"h_decompositions": 0, "h_moves": 0, "learned_moves": 0, "all_learned": 0}
    curve: list[dict[str, Any]] = []
    window = {"h_moves": 0, "learned_moves": 0, "questions": 0}
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=f"{task.name} {mode}", unit="step", leave=False)

    def targets_for(insts: list[Any], qs: list[Any]) -> np.ndarray:
        if mode == "supervised":
            return np.array([task.answer(i, q) for i, q in zip(insts, qs, strict=True)])
        if hprime is None:
            out, asked = amplify_batch(task, insts, qs, answerer)
            counts["h_decompositions"] += len(qs)
            counts["h_moves"] += asked + len(qs)
            window["h_moves"] += asked + len(qs)
            return out
        res = amplify_with_overseer(task, insts, qs, answerer, hprime, confidence)
        window["questions"] += len(qs)
        counts["h_decompositions"] += len(qs) - res["all_learned"]
        counts["h_moves"] += res["moves_h"]
        counts["learned_moves"] += res["moves_learned"]
        counts["all_learned"] += res["all_learned"]
        window["h_moves"] += res["moves_h"]
        window["learned_moves"] += res["moves_learned"]
        return res["answers"]

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for step in range(1, steps + 1):
            size = sizes[stage]
            if target_every and (step - 1) % target_every == 0:
                answerer = copy.copy(model)
                answerer.net = copy.deepcopy(model.net)
            insts, qs = sample_batch(task, size, batch, rng)
            model.train_step(insts, qs, targets_for(insts, qs))
            if hprime is not None:
                hprime.train_step(batch)
            stage_steps += 1
            if bar is not None:
                bar.update(1)
            timed_out = minutes > 0 and time.perf_counter() - start > 60 * minutes
            if step % eval_every == 0 or step == steps or timed_out:
                vi, vq = sample_batch(task, size, 256, rng)
                agree = float(np.mean(model.predict(vi, vq) == targets_for(vi, vq)))
                ai, aq = evals[size]
                rec = {"step": step, "examples": model.examples_seen, "size": size, **counts,
                       "agreement": agree, "seconds": time.perf_counter() - start,
                       "acc_by_size": {str(s): float(np.mean(model.predict(*evals[s]) == truths[s])) for s in sizes}}
                rec["acc_current"] = rec["acc_by_size"][str(size)]
                rec["acc_largest"] = rec["acc_by_size"][str(sizes[-1])]
                if mode == "ida":
                    amp, _ = amplify_batch(task, ai, aq, model)
                    rec["amplified_acc_current"] = float(np.mean(amp == truths[size]))
                if hprime is not None:
                    alone = amplify_with_overseer(task, ai, aq, model, hprime, confidence=None, learn=False)
                    rec["hprime_amplified_acc_current"] = float(np.mean(alone["answers"] == truths[size]))
                    moves = window["h_moves"] + window["learned_moves"]
                    rec["learned_share"] = window["learned_moves"] / moves if moves else 0.0
                    rec["h_moves_per_question"] = window["h_moves"] / max(window["questions"], 1)
                    window.update(h_moves=0, learned_moves=0, questions=0)
                curve.append(rec)
                if on_eval is not None:
                    on_eval(rec)
                if agree >= advance_at and stage_steps >= min_stage_steps and stage < len(sizes) - 1:
                    stage, stage_steps = stage + 1, 0
            if timed_out:
                break
    if bar is not None:
        bar.close()
    return {"curve": curve, "model": model, "overseer": hprime, **counts, "final_size": sizes[stage],
            "seconds": time.perf_counter() - start}


# ------------------------------------------------------------------------------------
# H': a learned model of the overseer's decompositions
# ------------------------------------------------------------------------------------
class LearnedOverseer:
    """H': imitates H's transcripts. Its input is the instance's facts, the question and the
    subquestions asked so far with their answers; its output is H's next move, one of a
    joint vocabulary: ask question ``(kind, a, b)`` (full-size encoding
    ``(kind * n_a + a) * n_b + b``) or answer token ``t`` (``Q + t``). Moves that are not valid
    at the instance's size are masked out. Trained by cross-entropy on (state, H's move)
    pairs collected whenever H is called."""

    def __init__(self, task: Any, d_model: int = 64, heads: int = 4, layers: int = 2, lr: float = 1e-3,
                 seed: int = 0, buffer: int = 20_000) -> None:
        torch = require_torch()
        from oversight_gym.envs.amplification.tasks import FULL_SIZE, get_task

        self.task = get_task(task)
        self.cap = self.task.cap(FULL_SIZE)
        self.n_a, self.n_b = self.task.arg_sizes(FULL_SIZE)
        self.num_questions = len(self.task.kinds) * self.n_a * self.n_b
        self.n_out = self.num_questions + self.task.answer_size(FULL_SIZE)
        torch.manual_seed(seed)
        self.net = _net(len(self.task.fact_kinds), len(self.task.kinds), self.n_out, d_model, heads, layers,
                        steps=self.cap)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.torch = torch
        self.rng = np.random.default_rng(seed)
        self.buffer: list[tuple[Any, Any, tuple, int]] = []
        self.buffer_size = buffer
        self._valid: dict[int, Any] = {}

    def encode_move(self, move: tuple[str, Any]) -> int:
        kind, value = move
        if kind == "ask":
            return (value[0] * self.n_a + value[1]) * self.n_b + value[2]
        return self.num_questions + int(value)

    def decode_move(self, i: int) -> tuple[str, Any]:
        if i >= self.num_questions:
            return ("answer", i - self.num_questions)
        i, b = divmod(int(i), self.n_b)
        kind, a = divmod(i, self.n_a)
        return ("ask", (kind, a, b))

    def valid_mask(self, size: int) -> Any:
        if size not in self._valid:
            mask = np.zeros(self.n_out, dtype=bool)
            for i in range(self.num_questions):
                mask[i] = self.task.valid_question(size, self.decode_move(i)[1])
            mask[self.num_questions:self.num_questions + self.task.answer_size(size)] = True
            self._valid[size] = self.torch.from_numpy(mask)
        return self._valid[size]

    def _logits(self, insts: list[Any], qs: list[Any], hists: list[tuple]) -> Any:
        torch = self.torch
        facts, pad = encode_facts(insts)
        width = max(1, max(len(h) for h in hists))
        hist = np.zeros((len(hists), width, 4), dtype=np.int64)
        hpad = np.ones((len(hists), width), dtype=bool)
        for r, h in enumerate(hists):
            for j, (sq, ans) in enumerate(h):
                hist[r, j] = (sq[0], sq[1], sq[2], ans)
                hpad[r, j] = False
        logits = self.net(torch.from_numpy(facts), torch.from_numpy(pad), torch.as_tensor(np.asarray(qs)),
                          torch.from_numpy(hist), torch.from_numpy(hpad))
        sizes = [i.size for i in insts]
        valid = torch.stack([self.valid_mask(s) for s in sizes])
        for r, h in enumerate(hists):
            if len(h) >= self.cap:
                valid[r, :self.num_questions] = False  # out of subquestions: answer
        return logits.masked_fill(~valid, -1e9)

    def propose(self, insts: list[Any], qs: list[Any], hists: list[tuple]) -> tuple[list[tuple[str, Any]], np.ndarray]:
        """H''s moves and their probabilities."""
        with self.torch.no_grad():
            p = self.torch.softmax(self._logits(insts, qs, hists), dim=-1)
        conf, idx = p.max(dim=-1)
        return [self.decode_move(int(i)) for i in idx], conf.numpy()

    def record(self, inst: Any, q: Any, hist: tuple, move: tuple[str, Any]) -> None:
        """Store one of H's moves (a call to H) for training."""
        item = (inst, q, hist, self.encode_move(move))
        if len(self.buffer) < self.buffer_size:
            self.buffer.append(item)
        else:
            self.buffer[int(self.rng.integers(self.buffer_size))] = item

    def train_step(self, batch: int = 64) -> float:
        if not self.buffer:
            return float("nan")
        torch = self.torch
        pick = self.rng.integers(len(self.buffer), size=min(batch, len(self.buffer)))
        items = [self.buffer[i] for i in pick]
        logits = self._logits([i[0] for i in items], [i[1] for i in items], [i[2] for i in items])
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor([i[3] for i in items]))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.item())


def h_move(task: Any, inst: Any, q: Any, hist: tuple) -> tuple[str, Any]:
    """H's next move given the subquestions asked so far and their answers (replaying H)."""
    gen = task.decompose(inst, q)
    try:
        sub = next(gen)
        for _, a in hist:
            sub = gen.send(a)
    except StopIteration as stop:
        return ("answer", int(stop.value))
    return ("ask", sub)


def amplify_with_overseer(task: Any, insts: list[Any], qs: list[Any], model: Any, overseer: LearnedOverseer | None,
                          confidence: float | None = 0.9, learn: bool = True) -> dict[str, Any]:
    """Amplify^{H'/H}(M) on a batch, move by move: at each move H' proposes, and if its
    probability is below ``confidence`` H is called instead (and, with ``learn``, H's move is
    recorded for H'). ``confidence=None``: H' alone (Amplify^{H'}(M)); ``overseer=None``: H
    alone. Returns the answers, the calls to H, the moves made by H' and by H, and the
    decompositions made entirely by H'."""
    n = len(qs)
    hists: list[tuple] = [() for _ in range(n)]
    answers = np.full(n, -1, dtype=np.int64)
    by_h = np.zeros(n, dtype=np.int64)
    moves_learned = 0
    active = list(range(n))
    cap = task.cap(max(i.size for i in insts)) if insts else 0
    while active:
        if overseer is not None:
            proposals, conf = overseer.propose([insts[j] for j in active], [qs[j] for j in active],
                                               [hists[j] for j in active])
        asks: list[tuple[int, Any]] = []
        for r, j in enumerate(active):
            if overseer is not None and (confidence is None or conf[r] >= confidence):
                move = proposals[r]
                moves_learned += 1
            else:
                move = h_move(task, insts[j], qs[j], hists[j])
                by_h[j] += 1
                if learn and overseer is not None:
                    overseer.record(insts[j], qs[j], hists[j], move)
            if move[0] == "answer" or len(hists[j]) >= max(cap, overseer.cap if overseer else 0):
                answers[j] = move[1] if move[0] == "answer" else insts[j].size
            else:
                asks.append((j, move[1]))
        if asks:
            sub = model.predict([insts[j] for j, _ in asks], [s for _, s in asks])
            for (j, s), a in zip(asks, sub.tolist(), strict=True):
                hists[j] = hists[j] + ((tuple(s), int(a)),)
        active = [j for j, _ in asks]
    return {"answers": answers, "h_calls": int(by_h.sum()), "moves_h": int(by_h.sum()),
            "moves_learned": moves_learned, "all_learned": int(np.sum(by_h == 0))}
