"""Iterated amplification and distillation (Christiano, Shlegeris, Amodei 2018), task
decomposition (Wu et al. 2021) and recursive reward modelling (Leike et al. 2018).

Importing this package registers its games.
"""

from oversight_gym.agents.base import register_agent_module
from oversight_gym.core.registry import register

# Small instances (8 names) keep the registry-wide tests cheap; every task is covered, one
# level (Amplify^H(M)) and two levels of HCH, with H's full budget and tight budgets.
_TASKS = ["permutation_powering", "sequential_assignments", "wildcard_search", "shortest_path", "union_find"]

register(
    "amplification/amplify-v0",
    "oversight_gym.envs.amplification.amplify:AmplifyGame",
    "Iterated amplification (Christiano et al. 2018): an overseer answers by asking subquestions of "
    "copies of a model (or of itself, HCH) on five algorithmic tasks",
    space=[
        {"task": _TASKS, "size": [8], "depth": [1], "budget": [None, 0, 3], "question": ["root", "any"]},
        {"task": _TASKS, "size": [8], "depth": [2], "budget": [2, 3], "question": ["root"]},
    ],
)

register(
    "amplification/aggregation-v0",
    "oversight_gym.envs.amplification.decomposition:AggregationGame",
    "Aggregation tree (after Wu et al. 2021): workers process leaves, combiners combine children's outputs; "
    "per-node errors compound with height",
    space={"branching": [2, 3], "height": [1, 2, 3], "values": [2, 3], "node_error": [0.0, 0.1, 0.5],
           "error_model": ["replace", "off_by_one", "drop"]},
)

register_agent_module("oversight_gym.envs.amplification.scripted", "oversight_gym.envs.amplification.learned")
