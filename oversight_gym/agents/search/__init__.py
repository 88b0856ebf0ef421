"""Search agents (they receive the kernel State and look ahead on clones). They know no
particular game: a game may offer hooks (batched leaf evaluation, forced moves, a compiled
fast path its family registers), see :mod:`oversight_gym.agents.search.mcts`.

* :class:`MCTSAgent` (``"mcts"``): Monte Carlo tree search with the PUCT rule of AlphaGo
  Zero, as the debaters of Irving et al. (2018) play.
* :class:`GreedyAgent` (``"greedy"``): one-step look-ahead on the game's evaluator.
* :class:`MinimaxAgent` (``"minimax"``): exact alpha-beta minimax for small games.
"""

from oversight_gym.agents.search.greedy import GreedyAgent
from oversight_gym.agents.search.mcts import MCTSAgent, SearchResult
from oversight_gym.agents.search.minimax import MinimaxAgent

__all__ = ["GreedyAgent", "MCTSAgent", "MinimaxAgent", "SearchResult"]
