"""``amplification/amplify-v0``: an overseer answers a question by asking subquestions of
copies of a model, or of copies of itself (HCH), after Christiano, Shlegeris, Amodei 2018,
"Supervising strong learners by amplifying weak experts" (arXiv 1810.08575).

Seats: ``overseer`` (scripted H, a learned H', or a person through ``oversight-gym
play``) and ``model`` (the copies of M). The environment draws an instance of ``task`` (see
:mod:`oversight_gym.envs.amplification.tasks`) with ``size`` names and a root question.

Turn structure. First the model gives its own answer to the root question (M alone: the
answer a distilled model would give; recorded as ``model_correct``, shown to the overseer,
and it guarantees every seat moves in every episode). Then the game keeps a stack of
*frames*, one per question the overseer is working on. In the top frame the overseer
either asks a subquestion (at most ``budget`` per frame) or answers the frame's question.
A subquestion asked in a frame at level ``l < depth - 1`` opens a new frame for it one
level down (a recursive call of the same game: HCH); at level ``depth - 1`` it goes to the
``model`` seat, which answers. Answering a frame pops it and hands the answer to the frame
below as the answer to its subquestion; answering the root ends the game. ``depth = 1``
is Amplify^H(M): H decomposes the root question and M answers every subquestion.

Actions (one discrete space, ``Q + A`` actions for both seats):

* ``0 <= i < Q``: ask question ``i``, where ``i = (kind * n_a + a) * n_b + b`` for the task's
  question ``(kind, a, b)`` (``n_a, n_b = task.arg_sizes(size)``); only questions valid for the
  task are legal, and only while the frame's budget lasts;
* ``Q + t``: answer with token ``t`` (``0 <= t < A = task.answer_size(size)``).

The overseer may answer at any time; the model may only answer. The action names
(``action_to_string``) are the questions and answers in words, e.g. ``ask sigma^3(ab)``.

Observation (float32, every entry in ``[0, 1]``; the same layout for both seats):
``[is overseer, is model, level / depth, budget left / budget, is root frame, (M's own
answer to the root + 1) / A]``, then the
question in hand (the top frame's question, or the subquestion the model must answer) as
``(kind + 1) / len(kinds), (a + 1) / (n_a + 1), (b + 1) / (n_b + 1)``, then ``budget`` slots
``[asked, kind, a, b, answer]`` for the subquestions asked in the top frame (the overseer's
view; zero for the model), then ``task.max_facts(size)`` slots ``[present, kind, a, b, c]`` for
the facts (name and value tokens divided by ``size + 1``). Both seats see the facts: H needs
them for simple questions.

Payoff: the seats share the outcome, +1 each if the root answer is right and -1 if it is
wrong (a common-interest game; ``MixedSum(0.0)`` by default, so not zero-sum).

Records (``outcome()``): correctness against the ground truth, the number of calls to H
(frames the overseer handled), the number of model answers, and the size and depth of the
decomposition tree; :meth:`AmplifyState.decomposition_graph` gives the tree as a networkx
graph (draw it with :func:`oversight_gym.envs.amplification.metrics.draw_tree`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.params import PAYOFF, Choice, Int, Params, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme
from oversight_gym.envs.amplification.tasks import SIZES, TASKS, Instance, Node, Question, get_task, tree_graph

OVERSEER, MODEL = 0, 1
HEADER = 6


def _budget(config: dict[str, Any]) -> int:
    """The subquestions per question: ``budget``, or the task's own cap when it is None."""
    return TASKS[config["task"]].cap(config["size"]) if config["budget"] is None else config["budget"]


class AmplifyGame(Game):
    """Amplify^H(M) and HCH as a two-seat game: the overseer decomposes, the model answers."""

    name = "amplification/amplify-v0"
    player_names = ("overseer", "model")

    PARAMS = Params(
        {
            "task": Choice(*TASKS),
            "size": Choice(*SIZES),
            "depth": Int(1, 6),
            "budget": Int(0, 64, none=True),  # None: the task's own cap
            "question": Choice("root", "any"),
            "payoff": PAYOFF,
        },
        # the longest episode: every frame of the HCH tree asks its whole budget
        cost=lambda c: float(_budget(c) + 1) ** (c["depth"] + 1) * c["size"],
    )

    @validated(PARAMS)
    def __init__(self, task: str = "permutation_powering", size: int = 8, depth: int = 1,
                 budget: int | None = None, question: str = "root", payoff: PayoffScheme | None = None) -> None:
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        self.task_name = task
        self.task = get_task(self.task_name)
        self.size, self.depth, self.question = size, depth, question
        self.budget = _budget({"task": task, "size": size, "budget": budget})
        self.n_a, self.n_b = self.task.arg_sizes(self.size)
        self.num_questions = len(self.task.kinds) * self.n_a * self.n_b
        self.num_answers = self.task.answer_size(self.size)
        self.max_facts = self.task.max_facts(self.size)
        # which question ids are valid questions of the task
        self.valid = np.zeros(self.num_questions, dtype=np.int8)
        for i in range(self.num_questions):
            self.valid[i] = self.task.valid_question(self.size, self.decode_question(i))
        self._obs_len = HEADER + 3 + 5 * self.budget + 5 * self.max_facts

    # --- encoding -----------------------------------------------------------------
    def encode_question(self, q: Question) -> int:
        return (q[0] * self.n_a + q[1]) * self.n_b + q[2]

    def decode_question(self, i: int) -> Question:
        i, b = divmod(int(i), self.n_b)
        kind, a = divmod(i, self.n_a)
        return (kind, a, b)

    def answer_action(self, token: int) -> int:
        return self.num_questions + int(token)

    # --- Game interface -------------------------------------------------------------
    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> AmplifyState:
        inst = self.task.generate(rng, self.size)
        q = self.task.sample_question(inst, rng, root=self.question == "root")
        return AmplifyState(self, inst, q)

    def num_distinct_actions(self) -> int:
        return self.num_questions + self.num_answers

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (self._obs_len,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, 1.0)

    def max_game_length(self) -> int:
        b = self.budget
        frames = sum(b ** level for level in range(self.depth))
        return 1 + frames * (b + 1) + b ** self.depth

    def config(self) -> dict[str, Any]:
        return {"task": self.task_name, "size": self.size, "depth": self.depth, "budget": self.budget,
                "question": self.question, "payoff": self.payoff.config()}


@dataclass
class Frame:
    """A question the overseer is working on."""

    question: Question
    level: int
    node: Node
    asked: list[tuple[Question, int]] = field(default_factory=list)
    pending: Question | None = None  # a subquestion sent to the model


class AmplifyState(State):
    game: AmplifyGame

    def __init__(self, game: AmplifyGame, inst: Instance, question: Question) -> None:
        super().__init__(game)
        self.instance = inst
        self.root_question = question
        self.truth = game.task.answer(inst, question)
        self.root = Node(question)
        self.stack: list[Frame] = [Frame(question, 0, self.root)]
        self.final: int | None = None
        self.model_guess: int | None = None
        self.h_calls = 1
        self.model_answers = 0
        self._facts = self._encode_facts()
        self.log(-1, "instance", task=game.task_name, size=inst.size, facts=[list(f) for f in inst.facts])
        self.log(-1, "root", question=list(question), text=game.task.question_text(question))

    def _encode_facts(self) -> np.ndarray:
        g = self.game
        out = np.zeros((g.max_facts, 5), dtype=np.float32)
        facts = self.instance.fact_array()
        if len(facts):
            n = len(facts)
            out[:n, 0] = 1.0
            out[:n, 1] = (facts[:, 0] + 1) / (len(g.task.fact_kinds) + 1)
            out[:n, 2:] = (facts[:, 1:] + 1) / (g.size + 1)
        return out.reshape(-1)

    # --- turn structure -------------------------------------------------------------
    def current_player(self) -> int:
        if self.final is not None:
            return TERMINAL
        if self.model_guess is None:
            return MODEL
        return MODEL if self.stack[-1].pending is not None else OVERSEER

    def legal_actions_mask(self, player: int) -> np.ndarray:
        g = self.game
        mask = np.zeros(g.num_distinct_actions(), dtype=np.int8)
        if player != self.current_player():
            return mask
        mask[g.num_questions:] = 1
        if player == OVERSEER and len(self.stack[-1].asked) < g.budget:
            mask[:g.num_questions] = g.valid
        return mask

    def is_legal(self, player: int, action: int) -> bool:
        g = self.game
        if player != self.current_player():
            return False
        if action >= g.num_questions:
            return True
        return player == OVERSEER and len(self.stack[-1].asked) < g.budget and bool(g.valid[action])

    def illegal_reason(self, player: int, action: int) -> str:
        g = self.game
        if player != self.current_player():
            return "it is not this seat's turn"
        if player == MODEL:
            return "the model can only answer the subquestion it was given"
        if len(self.stack[-1].asked) >= g.budget:
            return f"the budget of {g.budget} subquestions for this question is spent: answer it"
        return f"not a valid question of {g.task_name} at size {g.size}"

    def _apply(self, player: int, action: int) -> None:
        g = self.game
        top = self.stack[-1]
        if player == MODEL and self.model_guess is None:
            self.model_guess = action - g.num_questions
            self.log(player, "guess", question=list(self.root_question), answer=self.model_guess,
                     text=g.task.answer_text(self.instance, self.root_question, self.model_guess))
            return
        if player == MODEL:
            token = action - g.num_questions
            sub = top.pending
            assert sub is not None
            top.pending = None
            top.asked.append((sub, token))
            top.node.children.append(Node(sub, token, by="M"))
            self.model_answers += 1
            self.log(player, "answer", question=list(sub), answer=token, level=top.level + 1,
                     text=g.task.answer_text(self.instance, sub, token))
            return
        if action < g.num_questions:
            sub = g.decode_question(action)
            self.log(player, "ask", question=list(sub), level=top.level, text=g.task.question_text(sub))
            if top.level < g.depth - 1:
                node = Node(sub)
                top.node.children.append(node)
                self.stack.append(Frame(sub, top.level + 1, node))
                self.h_calls += 1
            else:
                top.pending = sub
            return
        token = action - g.num_questions
        top.node.answer = token
        top.node.steps = len(top.asked) + 1
        self.stack.pop()
        self.log(player, "combine", question=list(top.question), answer=token, level=top.level,
                 text=g.task.answer_text(self.instance, top.question, token))
        if self.stack:
            self.stack[-1].asked.append((top.question, token))
        else:
            self.final = token
            self.log(-1, "result", answer=token, truth=self.truth, correct=token == self.truth)

    # --- outcomes -------------------------------------------------------------------
    def raw_returns(self) -> np.ndarray:
        if self.final is None:
            return np.zeros(2)
        r = 1.0 if self.final == self.truth else -1.0
        return np.array([r, r])

    def outcome(self) -> dict[str, Any]:
        if self.final is None:
            return {}
        return {"correct": self.final == self.truth, "answer": self.final, "truth": self.truth,
                "model_correct": self.model_guess == self.truth,
                "h_calls": self.h_calls, "model_answers": self.model_answers,
                "tree_size": self.root.size(), "tree_depth": self.root.depth()}

    def decomposition_graph(self) -> Any:
        """The decomposition tree so far as a networkx DiGraph (root = node 0)."""
        return tree_graph(self.game.task, self.instance, self.root)

    # --- information ----------------------------------------------------------------
    def question_in_hand(self) -> Question:
        top = self.stack[-1]
        return top.pending if top.pending is not None else top.question

    def observation(self, player: int) -> np.ndarray:
        g = self.game
        obs = np.zeros(g._obs_len, dtype=np.float32)
        if self.final is not None:
            obs[HEADER + 3 + 5 * g.budget:] = self._facts
            return obs
        top = self.stack[-1]
        obs[player] = 1.0
        obs[2] = top.level / g.depth
        obs[3] = (g.budget - len(top.asked)) / g.budget if g.budget else 0.0
        obs[4] = float(len(self.stack) == 1)
        if self.model_guess is not None:
            obs[5] = (self.model_guess + 1) / g.num_answers
        q = self.question_in_hand()
        nk = len(g.task.kinds)
        obs[HEADER:HEADER + 3] = ((q[0] + 1) / nk, (q[1] + 1) / (g.n_a + 1), (q[2] + 1) / (g.n_b + 1))
        if player == OVERSEER:
            base = HEADER + 3
            for j, (sq, ans) in enumerate(top.asked):
                obs[base + 5 * j:base + 5 * j + 5] = (1.0, (sq[0] + 1) / nk, (sq[1] + 1) / (g.n_a + 1),
                                                      (sq[2] + 1) / (g.n_b + 1), (ans + 1) / g.num_answers)
        obs[HEADER + 3 + 5 * g.budget:] = self._facts
        return obs

    def action_to_string(self, player: int, action: int) -> str:
        g = self.game
        if action < g.num_questions:
            return "ask " + g.task.question_text(g.decode_question(action))
        q = self.question_in_hand() if self.final is None else self.root_question
        return "answer " + g.task.answer_text(self.instance, q, action - g.num_questions)

    def render_text(self) -> str:
        g = self.game
        lines = [f"{g.task_name}, {g.size} names; root question {g.task.question_text(self.root_question)}",
                 "facts: " + "; ".join(g.task.fact_text(f) for f in self.instance.facts)]
        for level, fr in enumerate(self.stack):
            asked = ", ".join(f"{g.task.question_text(sq)} = {g.task.answer_text(self.instance, sq, a)}"
                              for sq, a in fr.asked)
            lines.append(f"{'  ' * level}level {fr.level}: {g.task.question_text(fr.question)}"
                         f" [{len(fr.asked)}/{g.budget} asked: {asked}]")
        if self.final is not None:
            lines.append(f"answer {g.task.answer_text(self.instance, self.root_question, self.final)}; truth "
                         f"{g.task.answer_text(self.instance, self.root_question, self.truth)}")
        return "\n".join(lines)

    def clone(self) -> AmplifyState:
        import copy

        new = AmplifyState.__new__(AmplifyState)
        new.__dict__.update(self.__dict__)
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        new.root = copy.deepcopy(self.root)
        # rebuild the frames so they point into the copied tree
        nodes = [new.root]
        frames = []
        for fr in self.stack:
            node = nodes[-1]
            frames.append(Frame(fr.question, fr.level, node, list(fr.asked), fr.pending))
            if fr is not self.stack[-1]:
                nodes.append(node.children[-1])
        new.stack = frames
        return new


#: PettingZoo-style factories: ``env(**kwargs)``, ``raw_env(**kwargs)``, ``parallel_env(**kwargs)``
env, raw_env, parallel_env = pettingzoo_factories(AmplifyGame)


# ------------------------------------------------------------------------------------
# The scripted overseer's move in a state (shared by the scripted agent and the runner)
# ------------------------------------------------------------------------------------
def scripted_overseer_action(state: AmplifyState, epsilon: float = 0.0, rng: np.random.Generator | None = None,
                             decompose: Any = None) -> int:
    """The action H takes in ``state``: replay H's decomposition of the top frame's question
    with the answers received so far; ask its next subquestion, or answer when it is done.
    With probability ``epsilon`` a step errs (another subquestion of the same kind, or a
    random other answer). ``decompose`` replaces the task's H (e.g. a learned H')."""
    g = state.game
    task = g.task
    top = state.stack[-1]
    gen = (decompose or task.decompose)(state.instance, top.question)
    answer: int | None = None
    try:
        sub = next(gen)
        for _, a in top.asked:
            sub = gen.send(a)
    except StopIteration as stop:
        answer = int(stop.value)
    erred = epsilon > 0.0 and rng is not None and rng.random() < epsilon
    if answer is None and len(top.asked) < g.budget:
        if erred:
            sub = task.perturb_question(state.instance, sub, rng)
        return g.encode_question(sub)
    if answer is None:  # out of budget before H finished: answer none (the largest-token fallback)
        answer = g.num_answers - 1
    if erred:
        answer = task.random_answer(state.instance, rng, exclude=answer)
    return g.answer_action(answer)
