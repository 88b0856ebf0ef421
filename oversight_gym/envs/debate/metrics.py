"""Analysis of recursive debate over argument trees: rates with intervals and closed forms.

Closed form for a randomly searching challenger (Barnes & Christiano 2020's obfuscated
construction, standard or cross-examination protocol). The claimant defends a false
conjunction whose ``k`` wrong leaves sit uniformly at random among ``N``; it must assert
every subclaim true, so it gives nothing away. The random searcher
(``tree-random-search``) verifies ``B`` leaves drawn uniformly without replacement; if it
found a wrong leaf it follows it down and wins. Otherwise it descends, at each claim, to a
uniformly random subclaim not yet known to hold, and so ends at a leaf it has not verified;
given that its ``B`` leaves all held, the ``k`` wrong leaves are uniform over the other
``N - B``, so the judge's check finds one with probability ``k / (N - B)``. Each further
path the judge allows (``Q`` paths under cross-examination) ends at another unverified,
unchecked leaf. In all the searcher inspects ``m = min(N, B + Q)`` distinct leaves drawn
uniformly without replacement, and wins iff one of them is wrong: a hypergeometric tail,

    P(win) = 1 - C(N - k, m) / C(N, m) = 1 - prod_{i=0}^{m-1} (N - k - i) / (N - i).

With ``B + Q`` small against ``N`` this is about ``1 - (1 - k/N)^(B+Q)``: the honest side
needs a budget proportional to ``N / k``, the cliff that obfuscation exploits. Because the
wrong leaves are exchangeable, no search does better without information from the claimant:
the budgeted honest debater (``tree-honest``) has the same win probability.

Closed form for the length limit (irreducible complexity, ``counter-intuitive`` trees):
with full-information debaters, in either role, the honest side steers or keeps the path on
claims whose asserted value agrees with the truth about the honest position (an honest
claimant asserts only true subclaims; an honest challenger disputes a false one), and the
judge's prior has the same strength at every claim of a depth. When the path stops at depth
``L`` the judge sides with the honest debater with probability
``1/2 + s * r(L)`` where ``r(L) = clip((L - d) / d, -1, 1)``
(:func:`oversight_gym.envs.debate.argument_trees.judge_prior`); a threshold judge sides with
it iff ``r(L) > 0``. At ``L >= depth`` the leaf is checked and the honest side wins.
"""

from __future__ import annotations

import math
from typing import Any

from oversight_gym.analysis.metrics import Rate, rate
from oversight_gym.core.errors import check_choice, check_float, check_int


def random_search_win_probability(n_leaves: int, flaws: int, budget: int, queries: int = 1) -> float:
    """Probability that a randomly searching challenger with verification budget ``budget``
    and ``queries`` judge-checked paths finds one of ``flaws`` wrong leaves among ``n_leaves``
    (module docstring): ``1 - C(N-k, m) / C(N, m)`` with ``m = min(N, B + Q)``."""
    n = check_int("n_leaves", n_leaves, 1)
    k = check_int("flaws", flaws, 0, n)
    b = check_int("budget", budget, 0, n)
    q = check_int("queries", queries, 1)
    m = min(n, b + q)
    if k == 0:
        return 0.0
    if m > n - k:
        return 1.0
    log_miss = (math.lgamma(n - k + 1) - math.lgamma(n - k - m + 1)) - (math.lgamma(n + 1) - math.lgamma(n - m + 1))
    return 1.0 - math.exp(log_miss)


def limit_failure_probability(max_rounds: int, truth_depth: int, prior_strength: float, depth: int,
                              judge_limit: str = "sample") -> float:
    """Wrong-verdict probability of a debate between full-information debaters on a
    counter-intuitive tree when the judge decides on its prior at depth ``max_rounds``
    (module docstring). 0 once ``max_rounds >= depth`` (the leaf is checked)."""
    L = check_int("max_rounds", max_rounds, 0)
    d = check_int("truth_depth", truth_depth, 1)
    s = check_float("prior_strength", prior_strength, 0.0, 0.5)
    depth = check_int("depth", depth, 1)
    check_choice("judge_limit", judge_limit, ("sample", "threshold"))
    if L >= depth:
        return 0.0
    r = min(1.0, max(-1.0, (L - d) / d))
    honest_side = 0.5 + s * r
    if judge_limit == "threshold" and honest_side != 0.5:
        honest_side = 1.0 if honest_side > 0.5 else 0.0
    return 1.0 - honest_side


def debate_image_outcomes(records: list[dict[str, Any]]) -> dict[int, bool]:
    """Per image: did the judge end on the truth? With several games per image (the
    paper's no-precommit evaluation plays one per possible lie) the image counts as
    correct only if every game on it was: the liar wins the image if any game wins."""
    out: dict[int, bool] = {}
    for r in records:
        i = int(r["image_index"])
        out[i] = out.get(i, True) and bool(r["judge_correct"])
    return out


def debate_metrics(records: list[dict[str, Any]], confidence: float = 0.95) -> dict[str, Rate]:
    """Metrics over debate records (one per game, from the pixel debate's ``outcome()``).

    * ``judge_accuracy``: images on which the judge ends on the true label (an image with
      several games counts only if all were won by the honest side);
    * ``honest_win_rate``: games won by the honest debater;
    * ``deceived_by_true_statements``: games in which the judge picked the lie although
      every revealed pixel was true (checked against the data set, not assumed).
    """
    if not records:
        raise ValueError("records: no debate records to summarise")
    per_image = debate_image_outcomes(records)
    return {
        "judge_accuracy": rate(per_image.values(), confidence),
        "honest_win_rate": rate((r["honest_wins"] for r in records), confidence),
        "deceived_by_true_statements": rate(
            (r["judge_wrong"] and r["revealed_all_true"] for r in records), confidence
        ),
    }


__all__ = ["debate_image_outcomes", "debate_metrics", "limit_failure_probability", "random_search_win_probability"]
