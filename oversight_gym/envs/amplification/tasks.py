"""The five algorithmic tasks of iterated amplification and their scripted overseer H
(Christiano, Shlegeris, Amodei 2018, "Supervising strong learners by amplifying weak
experts", arXiv 1810.08575, section 4 and appendix).

Names are pairs of characters over 8 letters, so the paper's full size has 64 names
(``aa`` .. ``hh``); the curriculum uses 8, 16 and 32 names. An :class:`Instance` is a set
of facts; a question is a fixed-width tuple of ints ``(kind, a, b)`` and an answer is one
int token in ``[0, task.answer_size(size))``. Ground truth is computed directly from the
instance (cycle tables, breadth-first search, subset sums), never by decomposition.

H for each task is a Python generator (:meth:`Task.decompose`): it yields one subquestion
at a time, receives the answer through ``send``, and finally returns its answer. A simple
question is answered from the facts at once (the generator returns without yielding). The
number of subquestions never exceeds :meth:`Task.cap`.

Tasks (token conventions in each class's docstring):

1. permutation powering: ``sigma^k(x)``; H halves k.
2. sequential assignments: ``x := f(y, z)`` chains; H asks the arguments, their values and f.
3. wildcard search: sums of +-1 values over matching strings; H splits the first wildcard.
4. shortest path: distance and next hop; H asks the out-neighbours and their distances.
5. union find: value, parent toward the root, depth; H asks neighbours' depths, then the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from oversight_gym.core.errors import check_choice, check_float, check_int

#: the paper these tasks come from, as scenarios and figures cite it
PAPER = "Christiano, Shlegeris, Amodei 2018, Supervising strong learners by amplifying weak experts, arXiv 1810.08575"

LETTERS = "abcdefgh"
#: the paper's curriculum of instance sizes (number of names); 64 is the full size
SIZES = (8, 16, 32, 64)
FULL_SIZE = 64
#: number of values in sequential assignments and union find (8 symbols, as in the paper)
NUM_VALUES = 8
#: out-degree bound of the shortest-path graphs and degree bound of the union-find trees
MAX_DEGREE = 8

Question = tuple[int, int, int]
Fact = tuple[int, int, int, int]


def name(i: int) -> str:
    """The name of index ``i``: a pair of letters (``0 -> 'aa'``, ``63 -> 'hh'``)."""
    return LETTERS[i // 8] + LETTERS[i % 8]


@dataclass(eq=False)
class Instance:
    """One instance of a task: its facts (fixed-width tuples ``(fact kind, a, b, c)``) and
    private tables the ground truth reads."""

    task: str
    size: int
    facts: tuple[Fact, ...]
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    def fact_array(self) -> np.ndarray:
        return np.asarray(self.facts, dtype=np.int64).reshape(-1, 4)


Decomposition = Generator[Question, int, int]


class Task:
    """Common interface of the five tasks."""

    name: ClassVar[str] = "task"
    #: question kinds, index = ``question[0]``
    kinds: ClassVar[tuple[str, ...]] = ()
    #: fact kinds, index = ``fact[0]``
    fact_kinds: ClassVar[tuple[str, ...]] = ()

    def check_size(self, size: int) -> int:
        return int(check_choice("size", size, SIZES))

    # --- instances and questions -----------------------------------------------------
    def generate(self, rng: np.random.Generator, size: int = FULL_SIZE) -> Instance:
        raise NotImplementedError

    def answer_size(self, size: int) -> int:
        """Number of answer tokens."""
        return size + 1

    def arg_sizes(self, size: int) -> tuple[int, int]:
        """Ranges of a question's two arguments (``a < arg_sizes[0]``, ``b < arg_sizes[1]``)."""
        return (size, size)

    def max_facts(self, size: int) -> int:
        raise NotImplementedError

    def question_kinds(self, root: bool) -> tuple[int, ...]:
        """Kinds drawn by :meth:`sample_question` (``root``: the task's main questions only)."""
        return tuple(range(len(self.kinds)))

    def sample_question(self, inst: Instance, rng: np.random.Generator, root: bool = False) -> Question:
        """A random question about ``inst``: one of the main questions if ``root``, else any
        kind H asks (the distribution a distilled model must answer)."""
        kinds = self.question_kinds(root)
        kind = kinds[int(rng.integers(len(kinds)))]
        return self._sample_kind(inst, kind, rng)

    def _sample_kind(self, inst: Instance, kind: int, rng: np.random.Generator) -> Question:
        na, nb = self.arg_sizes(inst.size)
        return (kind, int(rng.integers(na)), int(rng.integers(nb)))

    def valid_question(self, size: int, q: Question) -> bool:
        na, nb = self.arg_sizes(size)
        return 0 <= q[0] < len(self.kinds) and 0 <= q[1] < na and 0 <= q[2] < nb

    def perturb_question(self, inst: Instance, q: Question, rng: np.random.Generator) -> Question:
        """A random question of the same kind different from ``q`` (an overseer's wrong subquestion)."""
        for _ in range(100):
            new = self._sample_kind(inst, q[0], rng)
            if new != q:
                return new
        return q

    def random_answer(self, inst: Instance, rng: np.random.Generator, exclude: int | None = None) -> int:
        """A uniformly random answer token other than ``exclude`` (a wrong combination)."""
        n = self.answer_size(inst.size)
        a = int(rng.integers(n - 1 if exclude is not None else n))
        if exclude is not None and a >= exclude:
            a += 1
        return a

    # --- ground truth and the overseer ----------------------------------------------
    def answer(self, inst: Instance, q: Question) -> int:
        """The ground-truth answer, computed directly."""
        raise NotImplementedError

    def is_simple(self, inst: Instance, q: Question) -> bool:
        """Whether H answers ``q`` from the facts without subquestions."""
        raise NotImplementedError

    def decompose(self, inst: Instance, q: Question) -> Decomposition:
        """H: yields subquestions one at a time, receives their answers, returns the answer."""
        raise NotImplementedError

    def cap(self, size: int) -> int:
        """Most subquestions H asks for one question."""
        raise NotImplementedError

    # --- text ----------------------------------------------------------------------
    def question_text(self, q: Question) -> str:
        return f"{self.kinds[q[0]]}({name(q[1])}, {q[2]})"

    def answer_text(self, inst: Instance, q: Question, a: int) -> str:
        return "none" if a == inst.size else name(a) if a < inst.size else str(a)

    def fact_text(self, f: Fact) -> str:
        return f"{self.fact_kinds[f[0]]}({', '.join(name(v) for v in f[1:])})"


# ------------------------------------------------------------------------------------
class PermutationPowering(Task):
    """Facts ``succ(x, sigma(x))`` for a random permutation sigma of the names; question
    ``pow(x, k)`` with ``1 <= k < size`` asks for ``sigma^k(x)`` (k < 64: 6 bits at full size).
    Answer token: the name index. H: ``k == 1`` is simple; otherwise ask
    ``y = sigma^(k//2)(x)``, ``z = sigma^(k//2)(y)`` and, if k is odd, ``sigma(z)``."""

    name = "permutation_powering"
    kinds = ("pow",)
    fact_kinds = ("succ",)

    def generate(self, rng: np.random.Generator, size: int = FULL_SIZE) -> Instance:
        size = self.check_size(size)
        sigma = rng.permutation(size)
        # cycle tables: sigma^k(x) = cycle[(pos[x] + k) % len]
        cyc_of = [0] * size
        pos = [0] * size
        cycles: list[list[int]] = []
        seen = [False] * size
        for start in range(size):
            if seen[start]:
                continue
            cyc = []
            x = start
            while not seen[x]:
                seen[x] = True
                cyc_of[x] = len(cycles)
                pos[x] = len(cyc)
                cyc.append(x)
                x = int(sigma[x])
            cycles.append(cyc)
        facts = tuple((0, x, int(sigma[x]), 0) for x in range(size))
        return Instance(self.name, size, facts, {"sigma": sigma.tolist(), "cyc_of": cyc_of, "pos": pos,
                                                  "cycles": cycles})

    def answer_size(self, size: int) -> int:
        return size

    def max_facts(self, size: int) -> int:
        return size

    def _sample_kind(self, inst: Instance, kind: int, rng: np.random.Generator) -> Question:
        return (0, int(rng.integers(inst.size)), 1 + int(rng.integers(inst.size - 1)))

    def sample_question(self, inst: Instance, rng: np.random.Generator, root: bool = False) -> Question:
        # root: k uniform in [1, size) (the paper's question distribution); otherwise the
        # bit length of k uniform, so small powers (k = 1 is simple) keep a fair share
        if root:
            return self._sample_kind(inst, 0, rng)
        bits = 1 + int(rng.integers(inst.size.bit_length() - 1))
        k = int(rng.integers(1 << (bits - 1), 1 << bits))
        return (0, int(rng.integers(inst.size)), k)

    def valid_question(self, size: int, q: Question) -> bool:
        return q[0] == 0 and 0 <= q[1] < size and 1 <= q[2] < size

    def answer(self, inst: Instance, q: Question) -> int:
        d = inst.data
        cyc = d["cycles"][d["cyc_of"][q[1]]]
        return cyc[(d["pos"][q[1]] + q[2]) % len(cyc)]

    def is_simple(self, inst: Instance, q: Question) -> bool:
        return q[2] == 1

    def decompose(self, inst: Instance, q: Question) -> Decomposition:
        _, x, k = q
        if k == 1:
            return inst.data["sigma"][x]
        h = k // 2
        y = yield (0, x, h)
        z = yield (0, y, h)
        if k % 2:
            z = yield (0, z, 1)
        return z

    def cap(self, size: int) -> int:
        return 3

    def question_text(self, q: Question) -> str:
        return f"sigma^{q[2]}({name(q[1])})"

    def fact_text(self, f: Fact) -> str:
        return f"sigma({name(f[1])}) = {name(f[2])}"


# ------------------------------------------------------------------------------------
class SequentialAssignments(Task):
    """``size // 8`` (at least 2) base variables have values among 8 symbols; every other
    variable is defined ``x := f(y, z)`` from two earlier variables, f one random table of the
    instance over the values. Facts: ``val(x, v)``, ``def(x, y, z)``, ``f(a, b, c)``.

    Questions: ``value(x)``, ``arg1(x)``, ``arg2(x)`` (the variables x is defined from;
    ``none`` for a base variable) and ``apply(a, b)`` = ``f(a, b)``. Answer tokens: a value or
    a name index; ``size`` is ``none``. H on ``value(x)`` for a defined x asks ``arg1(x)``,
    ``arg2(x)``, their values, then ``apply(a, b)``; every other question is simple."""

    name = "sequential_assignments"
    kinds = ("value", "arg1", "arg2", "apply")
    fact_kinds = ("val", "def", "f")

    def generate(self, rng: np.random.Generator, size: int = FULL_SIZE) -> Instance:
        size = self.check_size(size)
        order = rng.permutation(size).tolist()
        nbase = max(2, size // 8)
        f = rng.integers(NUM_VALUES, size=(NUM_VALUES, NUM_VALUES))
        base_values = rng.integers(NUM_VALUES, size=nbase).tolist()
        picks = rng.random((size, 2)).tolist()
        value = [0] * size
        args = [(size, size)] * size
        facts: list[Fact] = []
        for i, x in enumerate(order):
            if i < nbase:
                value[x] = base_values[i]
                facts.append((0, x, value[x], 0))
            else:
                y, z = order[int(picks[i][0] * i)], order[int(picks[i][1] * i)]
                args[x] = (y, z)
                value[x] = int(f[value[y], value[z]])
                facts.append((1, x, y, z))
        ft = f.tolist()
        facts.extend((2, a, b, ft[a][b]) for a in range(NUM_VALUES) for b in range(NUM_VALUES))
        return Instance(self.name, size, tuple(facts), {"value": value, "args": args, "f": ft,
                                                        "order": order})

    def max_facts(self, size: int) -> int:
        return size + NUM_VALUES * NUM_VALUES

    def arg_sizes(self, size: int) -> tuple[int, int]:
        return (size, size)

    def question_kinds(self, root: bool) -> tuple[int, ...]:
        return (0,) if root else (0, 0, 1, 2, 3)

    def _sample_kind(self, inst: Instance, kind: int, rng: np.random.Generator) -> Question:
        if kind == 3:
            return (3, int(rng.integers(NUM_VALUES)), int(rng.integers(NUM_VALUES)))
        return (kind, int(rng.integers(inst.size)), 0)

    def valid_question(self, size: int, q: Question) -> bool:
        if q[0] == 3:
            return 0 <= q[1] < NUM_VALUES and 0 <= q[2] < NUM_VALUES
        return 0 <= q[0] < 3 and 0 <= q[1] < size and q[2] == 0

    def answer(self, inst: Instance, q: Question) -> int:
        kind, a, b = q
        d = inst.data
        if kind == 0:
            return d["value"][a]
        if kind == 3:
            return d["f"][a][b]
        return d["args"][a][kind - 1]

    def is_simple(self, inst: Instance, q: Question) -> bool:
        return q[0] != 0 or inst.data["args"][q[1]][0] == inst.size

    def decompose(self, inst: Instance, q: Question) -> Decomposition:
        if self.is_simple(inst, q):
            return self.answer(inst, q)  # read from the facts
        x = q[1]
        y = yield (1, x, 0)
        z = yield (2, x, 0)
        a = yield (0, y, 0) if y < inst.size else (0, 0, 0)
        b = yield (0, z, 0) if z < inst.size else (0, 0, 0)
        if a >= NUM_VALUES or b >= NUM_VALUES:
            return inst.size  # a sub-answer that is not a value: H gives up with none
        return (yield (3, a, b))

    def cap(self, size: int) -> int:
        return 5

    def question_text(self, q: Question) -> str:
        if q[0] == 3:
            return f"f({q[1]}, {q[2]})"
        return f"{self.kinds[q[0]]}({name(q[1])})"

    def answer_text(self, inst: Instance, q: Question, a: int) -> str:
        if a == inst.size:
            return "none"
        return name(a) if q[0] in (1, 2) else str(a)

    def fact_text(self, f: Fact) -> str:
        if f[0] == 0:
            return f"{name(f[1])} = {f[2]}"
        if f[0] == 1:
            return f"{name(f[1])} := f({name(f[2])}, {name(f[3])})"
        return f"f({f[1]}, {f[2]}) = {f[3]}"


# ------------------------------------------------------------------------------------
class WildcardSearch(Task):
    """All ``size = 2^L`` strings of length L over {a, b} (L = 6 at full size), each worth +1
    or -1: facts ``val(s, v)`` with v in {0: -1, 1: +1}. Question ``(0, mask, bits)``: the
    pattern whose wildcard positions are the set bits of ``mask`` and whose other letters
    are ``bits`` (``bits & mask == 0``; bit L-1 is the first letter, 1 = b); answer token
    ``sum + size``, the sum of the values of the matching strings in ``[-size, size]``.
    H: no wildcard is simple; otherwise split the first wildcard into a and b and add."""

    name = "wildcard_search"
    kinds = ("sum",)
    fact_kinds = ("val",)

    def generate(self, rng: np.random.Generator, size: int = FULL_SIZE) -> Instance:
        size = self.check_size(size)
        bits = size.bit_length() - 1
        vals = rng.integers(2, size=size)
        signed = (2 * vals - 1).astype(np.int64)
        # table[m][b] = sum over strings matching (mask m, bits b): a subset-sum DP over masks
        table = np.zeros((size, size), dtype=np.int64)
        m = np.arange(size)[:, None]
        s = np.arange(size)[None, :]
        np.add.at(table, (np.broadcast_to(m, (size, size)), s & ~m), np.broadcast_to(signed, (size, size)))
        facts = tuple((0, s, int(vals[s]), 0) for s in range(size))
        return Instance(self.name, size, facts, {"table": table.tolist(), "bits": bits, "vals": vals.tolist()})

    def max_facts(self, size: int) -> int:
        return size

    def answer_size(self, size: int) -> int:
        return 2 * size + 1

    def _sample_kind(self, inst: Instance, kind: int, rng: np.random.Generator) -> Question:
        m = int(rng.integers(inst.size))
        b = int(rng.integers(inst.size)) & ~m
        return (0, m, b)

    def sample_question(self, inst: Instance, rng: np.random.Generator, root: bool = False) -> Question:
        # root: 1..L wildcards, uniformly (the paper's question distribution); otherwise
        # 0..L, so the simple questions H answers from the facts keep a fair share
        L = inst.data["bits"]
        w = 1 + int(rng.integers(L)) if root else int(rng.integers(L + 1))
        pos = rng.choice(L, size=w, replace=False)
        m = int(sum(1 << int(p) for p in pos))
        return (0, m, int(rng.integers(inst.size)) & ~m)

    def valid_question(self, size: int, q: Question) -> bool:
        return q[0] == 0 and 0 <= q[1] < size and 0 <= q[2] < size and q[1] & q[2] == 0

    def answer(self, inst: Instance, q: Question) -> int:
        return inst.data["table"][q[1]][q[2]] + inst.size

    def is_simple(self, inst: Instance, q: Question) -> bool:
        return q[1] == 0

    def decompose(self, inst: Instance, q: Question) -> Decomposition:
        _, m, b = q
        n = inst.size
        if m == 0:
            return 2 * inst.data["vals"][b] - 1 + n
        first = 1 << (m.bit_length() - 1)  # the leftmost wildcard
        left = yield (0, m ^ first, b)
        right = yield (0, m ^ first, b | first)
        return min(max(left + right - n, 0), 2 * n)

    def cap(self, size: int) -> int:
        return 2

    def question_text(self, q: Question) -> str:
        L = max(q[1].bit_length(), q[2].bit_length(), 1)
        L = max(L, 3)
        chars = []
        for p in range(L - 1, -1, -1):
            bit = 1 << p
            chars.append("*" if q[1] & bit else ("b" if q[2] & bit else "a"))
        return "sum(" + "".join(chars) + ")"

    def answer_text(self, inst: Instance, q: Question, a: int) -> str:
        return f"{a - inst.size:+d}"

    def fact_text(self, f: Fact) -> str:
        return f"val({f[1]:b}) = {'+1' if f[2] else '-1'}"


# ------------------------------------------------------------------------------------
class ShortestPath(Task):
    """``size`` vertices and ``2 * size`` random directed edges (128 at full size; no loops,
    no duplicates, out-degree at most 8). Facts ``edge(a, b)``. Questions: ``dist(a, b)``
    (answer: the number of edges of a shortest path, ``none`` = ``size`` if b is
    unreachable), ``next(a, b)`` (the first vertex after a on a shortest path, the smallest
    such vertex; ``none`` if a == b or unreachable) and ``nbr(a, i)`` (the i-th out-neighbour
    of a in increasing order, ``none`` past the last). H on ``dist``/``next`` with a != b asks
    the neighbours one by one, then each neighbour's distance to b, and takes 1 + the
    minimum (or the first neighbour reaching it); ``nbr`` and a == b are simple."""

    name = "shortest_path"
    kinds = ("dist", "next", "nbr")
    fact_kinds = ("edge",)

    def generate(self, rng: np.random.Generator, size: int = FULL_SIZE) -> Instance:
        size = self.check_size(size)
        out: list[set[int]] = [set() for _ in range(size)]
        edges: list[Fact] = []
        while len(edges) < 2 * size:
            for a, b in rng.integers(size, size=(2 * size, 2)).tolist():  # candidates, drawn in bulk
                if a == b or b in out[a] or len(out[a]) >= MAX_DEGREE:
                    continue
                out[a].add(b)
                edges.append((0, a, b, 0))
                if len(edges) == 2 * size:
                    break
        nbrs = [sorted(s) for s in out]
        # all distances by breadth-first search (scipy); size = unreachable
        src = np.array([e[1] for e in edges])
        dst = np.array([e[2] for e in edges])
        graph = csr_matrix((np.ones(len(edges)), (src, dst)), shape=(size, size))
        d = shortest_path(graph, method="D", unweighted=True)
        dist = np.where(np.isinf(d), size, d).astype(np.int64).tolist()  # dist[a][b]
        return Instance(self.name, size, tuple(edges), {"nbrs": nbrs, "dist": dist})

    def max_facts(self, size: int) -> int:
        return 2 * size

    def question_kinds(self, root: bool) -> tuple[int, ...]:
        return (0, 1) if root else (0, 1, 2)

    def _sample_kind(self, inst: Instance, kind: int, rng: np.random.Generator) -> Question:
        if kind == 2:
            return (2, int(rng.integers(inst.size)), int(rng.integers(MAX_DEGREE)))
        return (kind, int(rng.integers(inst.size)), int(rng.integers(inst.size)))

    def answer(self, inst: Instance, q: Question) -> int:
        kind, a, b = q
        n = inst.size
        if kind == 2:
            nb = inst.data["nbrs"][a]
            return nb[b] if b < len(nb) else n
        dist = inst.data["dist"]
        if kind == 0:
            return dist[a][b]
        d = dist[a][b]
        if a == b or d == n:
            return n
        for c in inst.data["nbrs"][a]:
            if dist[c][b] == d - 1:
                return c
        raise AssertionError("unreachable: a shortest path has a first step")

    def is_simple(self, inst: Instance, q: Question) -> bool:
        return q[0] == 2 or q[1] == q[2]

    def decompose(self, inst: Instance, q: Question) -> Decomposition:
        kind, a, b = q
        n = inst.size
        if kind == 2:
            nb = inst.data["nbrs"][a]
            return nb[b] if b < len(nb) else n
        if a == b:
            return 0 if kind == 0 else n
        neighbours = []
        for i in range(MAX_DEGREE):
            c = yield (2, a, i)
            if c >= n:
                break
            neighbours.append(c)
        best, arg = n, n
        for c in neighbours:
            d = yield (0, c, b)
            if d < best:
                best, arg = d, c
        if kind == 0:
            return n if best >= n - 1 else best + 1
        return arg

    def cap(self, size: int) -> int:
        return 2 * MAX_DEGREE

    def question_text(self, q: Question) -> str:
        if q[0] == 2:
            return f"nbr({name(q[1])}, {q[2]})"
        return f"{self.kinds[q[0]]}({name(q[1])}, {name(q[2])})"

    def fact_text(self, f: Fact) -> str:
        return f"{name(f[1])} -> {name(f[2])}"

    def answer_text(self, inst: Instance, q: Question, a: int) -> str:
        if a == inst.size:
            return "none"
        return str(a) if q[0] == 0 else name(a)


# ------------------------------------------------------------------------------------
class UnionFind(Task):
    """``size`` variables, each in one of 8 value classes; the equalities ``eq(x, y)`` of each
    class form a random spanning tree (degree at most 8), and one root per class has its
    value given (``val(r, v)``). Questions: ``value(x)``, ``parent(x)`` (the neighbour toward
    the root; ``none`` = ``size`` at a root), ``depth(x)`` (edges to the root) and
    ``nbr(x, i)`` (the i-th tree neighbour in increasing order, ``none`` past the last).

    H: at a root every question is simple; ``value(x)`` asks ``parent(x)`` then its value;
    ``depth(x)`` and ``parent(x)`` ask the neighbours and their depths and take 1 + the
    minimum or the neighbour reaching it (the parent is the only neighbour nearer the root)."""

    name = "union_find"
    kinds = ("value", "parent", "depth", "nbr")
    fact_kinds = ("eq", "val")

    def generate(self, rng: np.random.Generator, size: int = FULL_SIZE) -> Instance:
        size = self.check_size(size)
        cls = rng.integers(NUM_VALUES, size=size)
        parent = [size] * size
        depth = [0] * size
        value = [0] * size
        nbrs: list[list[int]] = [[] for _ in range(size)]
        roots = set()
        facts: list[Fact] = []
        picks = rng.random(size).tolist()
        flips = rng.integers(2, size=size).tolist()
        for v in range(NUM_VALUES):
            members = rng.permutation(np.flatnonzero(cls == v)).tolist()
            if not members:
                continue
            root = members[0]
            roots.add(root)
            facts.append((1, root, v, 0))
            value[root] = v
            for i, x in enumerate(members[1:], start=1):
                p = members[int(picks[x] * i)]
                while len(nbrs[p]) >= MAX_DEGREE:  # a full node: draw again
                    p = members[int(rng.integers(i))]
                parent[x], depth[x], value[x] = p, depth[p] + 1, v
                nbrs[p].append(x)
                nbrs[x].append(p)
                facts.append((0, x, p, 0) if flips[x] else (0, p, x, 0))
        order = rng.permutation(len(facts))
        facts = [facts[i] for i in order]
        return Instance(self.name, size, tuple(facts), {"parent": parent, "depth": depth, "value": value,
                                                        "nbrs": [sorted(n) for n in nbrs], "roots": roots})

    def max_facts(self, size: int) -> int:
        return size

    def question_kinds(self, root: bool) -> tuple[int, ...]:
        return (0, 1, 2) if root else (0, 1, 2, 3)

    def _sample_kind(self, inst: Instance, kind: int, rng: np.random.Generator) -> Question:
        if kind == 3:
            return (3, int(rng.integers(inst.size)), int(rng.integers(MAX_DEGREE)))
        return (kind, int(rng.integers(inst.size)), 0)

    def valid_question(self, size: int, q: Question) -> bool:
        if q[0] == 3:
            return 0 <= q[1] < size and 0 <= q[2] < MAX_DEGREE
        return 0 <= q[0] < 3 and 0 <= q[1] < size and q[2] == 0

    def answer(self, inst: Instance, q: Question) -> int:
        kind, x, i = q
        d = inst.data
        if kind == 0:
            return d["value"][x]
        if kind == 1:
            return d["parent"][x]
        if kind == 2:
            return d["depth"][x]
        nb = d["nbrs"][x]
        return nb[i] if i < len(nb) else inst.size

    def is_simple(self, inst: Instance, q: Question) -> bool:
        return q[0] == 3 or q[1] in inst.data["roots"]

    def decompose(self, inst: Instance, q: Question) -> Decomposition:
        kind, x, _ = q
        n = inst.size
        if self.is_simple(inst, q):
            return self.answer(inst, q)  # a root's facts, or its neighbour list
        if kind == 0:
            p = yield (1, x, 0)
            if p >= n:
                return n
            return (yield (0, p, 0))
        neighbours = []
        for i in range(MAX_DEGREE):
            c = yield (3, x, i)
            if c >= n:
                break
            neighbours.append(c)
        best, arg = n, n
        for c in neighbours:
            d = yield (2, c, 0)
            if d < best:
                best, arg = d, c
        if kind == 2:
            return min(best + 1, n)
        return arg

    def cap(self, size: int) -> int:
        return 2 * MAX_DEGREE

    def question_text(self, q: Question) -> str:
        if q[0] == 3:
            return f"nbr({name(q[1])}, {q[2]})"
        return f"{self.kinds[q[0]]}({name(q[1])})"

    def answer_text(self, inst: Instance, q: Question, a: int) -> str:
        if a == inst.size:
            return "none"
        return name(a) if q[0] in (1, 3) else str(a)

    def fact_text(self, f: Fact) -> str:
        if f[0] == 0:
            return f"{name(f[1])} = {name(f[2])}"
        return f"{name(f[1])} = {f[2]}"


TASKS: dict[str, Task] = {t.name: t for t in (PermutationPowering(), SequentialAssignments(), WildcardSearch(),
                                               ShortestPath(), UnionFind())}


def task_names(names: Sequence[str], option: str = "--tasks") -> list[str]:
    """The tasks a list of names stands for: the names themselves, or every task for ``all``,
    which stands alone (``option`` is the option they were given by, for the message)."""
    names = list(names)
    if "all" not in names:
        return names
    if names != ["all"]:
        raise ValueError(f"{option}: 'all' stands alone (it means every task), got {','.join(map(str, names))}")
    return list(TASKS)


def get_task(task: str | Task) -> Task:
    """The task named ``task`` (one of :data:`TASKS`)."""
    if isinstance(task, Task):
        return task
    check_choice("task", task, tuple(TASKS))
    return TASKS[task]


# ------------------------------------------------------------------------------------
# Running H: one level (Amplify^H(X)), recursively (HCH), with overseer errors
# ------------------------------------------------------------------------------------
Responder = Callable[[Instance, Question], int]


@dataclass
class Node:
    """One question in a decomposition tree."""

    question: Question
    answer: int = -1
    by: str = "H"  # "H": the overseer decomposed or looked it up; "M": a model answered
    steps: int = 0  # overseer steps (subquestions + the final combination)
    errors: int = 0  # overseer steps that erred
    children: list[Node] = field(default_factory=list)

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.children)

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)

    def h_calls(self) -> int:
        return (self.by == "H") + sum(c.h_calls() for c in self.children)

    def total_steps(self) -> int:
        return self.steps + sum(c.total_steps() for c in self.children)


def overseer_answer(task: Task, inst: Instance, q: Question, respond: Callable[[Question], int],
                    epsilon: float = 0.0, rng: np.random.Generator | None = None,
                    node: Node | None = None) -> int:
    """Run H on ``q``, each subquestion answered by ``respond``; with probability ``epsilon``
    per step H errs: a subquestion is replaced by another of its kind, or the final
    combination by a random other answer. ``node`` (if given) records steps and errors."""
    gen = task.decompose(inst, q)
    cap = task.cap(inst.size)
    steps = errors = 0
    try:
        sub = next(gen)
        while True:
            steps += 1
            if steps > cap:
                raise RuntimeError(f"{task.name}: H asked more than cap={cap} subquestions on {q}")
            if epsilon > 0.0 and rng is not None and rng.random() < epsilon:
                sub = task.perturb_question(inst, sub, rng)
                errors += 1
            sub = gen.send(respond(sub))
    except StopIteration as stop:
        answer = int(stop.value)
    steps += 1  # the combination (or the look-up of a simple question)
    if epsilon > 0.0 and rng is not None and rng.random() < epsilon:
        answer = task.random_answer(inst, rng, exclude=answer)
        errors += 1
    if node is not None:
        node.steps, node.errors = steps, errors
    return answer


def answer_with_truth(task: Task, inst: Instance, q: Question) -> int:
    """H's answer when every subquestion gets its ground-truth answer (no errors): the fast path."""
    gen = task.decompose(inst, q)
    truth = task.answer
    try:
        sub = next(gen)
        while True:
            sub = gen.send(truth(inst, sub))
    except StopIteration as stop:
        return int(stop.value)


def hch(task: Task, inst: Instance, q: Question, model: Responder | None, depth: int,
        epsilon: float = 0.0, rng: np.random.Generator | None = None) -> Node:
    """The decomposition tree of HCH to ``depth``: H decomposes ``q``; each subquestion is
    answered by HCH one level down; at ``depth == 0`` the model answers (Amplify^H(M) is
    ``depth = 1``: the model answers every subquestion, simple ones too). Above the bottom,
    H answers simple questions from the facts.
    ``model=None`` is the perfect model (ground truth)."""
    check_int("depth", depth, 0)
    if epsilon:
        check_float("epsilon", epsilon, 0.0, 1.0)
    return _hch(task, inst, q, model, depth, epsilon, rng)


def _hch(task: Task, inst: Instance, q: Question, model: Responder | None, depth: int, epsilon: float,
         rng: np.random.Generator | None) -> Node:
    if depth == 0:
        node = Node(q, by="M")
        node.answer = task.answer(inst, q) if model is None else int(model(inst, q))
        return node
    node = Node(q)

    def respond(sub: Question) -> int:
        child = _hch(task, inst, sub, model, depth - 1, epsilon, rng)
        node.children.append(child)
        return child.answer

    node.answer = overseer_answer(task, inst, q, respond, epsilon, rng, node)
    return node


def tree_graph(task: Task, inst: Instance, root: Node) -> Any:
    """The decomposition tree as a networkx DiGraph (nodes carry question, answer, who
    answered and whether the answer is right); draw it with
    :func:`oversight_gym.envs.amplification.metrics.draw_tree`."""
    import networkx as nx

    g = nx.DiGraph()
    counter = [0]

    def add(node: Node, parent: int | None) -> None:
        i = counter[0]
        counter[0] += 1
        g.add_node(i, question=task.question_text(node.question), answer=task.answer_text(inst, node.question,
                                                                                            node.answer),
                   by=node.by, correct=node.answer == task.answer(inst, node.question), errors=node.errors)
        if parent is not None:
            g.add_edge(parent, i)
        for c in node.children:
            add(c, i)

    add(root, None)
    return g
