"""Search agents (they receive the kernel State and look ahead on clones).

* :class:`MCTSAgent` (``"mcts"``): Monte Carlo tree search with the PUCT rule of AlphaGo
  Zero, as the debaters of Irving et al. (2018) play; numba fast path for the pixel debate.
* :class:`GreedyAgent` (``"greedy"``): one-step look-ahead on the judge.
* :class:`MinimaxAgent` (``"minimax"``): exact alpha-beta minimax for small games.
* :class:`TreeSolverAgent` (``"tree-solver"``): backward induction with full information for
  recursive debate on small argument trees.
"""

from oversight_gym.agents.search.greedy import GreedyAgent
from oversight_gym.agents.search.mcts import MCTSAgent, SearchResult
from oversight_gym.agents.search.minimax import MinimaxAgent
from oversight_gym.agents.search.tree_solver import TreeSolverAgent

__all__ = ["GreedyAgent", "MCTSAgent", "MinimaxAgent", "SearchResult", "TreeSolverAgent"]
