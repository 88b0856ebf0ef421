"""Property testing for users' own environments, judges, protocols and agents.

* :mod:`oversight_gym.testing.checks` (exported here): checks of the environment
  contract, determinism, zero-sum returns, truncation and single-agent views, each raising
  ``AssertionError`` with a message that says what differed and where;
* :mod:`oversight_gym.testing.strategies`: hypothesis strategies for seeds, game
  configurations, agents and policies.

Example::

    import oversight_gym
    from oversight_gym.testing import check_determinism, check_env_contract

    def env_fn():
        return oversight_gym.make("debate/pixels-v0", pixels=4, judge_steps=300)

    check_env_contract(env_fn)
    check_determinism(env_fn)
"""

from oversight_gym.testing.checks import (
    Episode,
    check_batch_engine,
    check_determinism,
    check_env_contract,
    check_max_cycles,
    check_single_agent_view,
    check_text_view,
    check_zero_sum,
    pettingzoo_module,
    rollout,
)

__all__ = [
    "Episode", "check_batch_engine", "check_determinism", "check_env_contract", "check_max_cycles",
    "check_single_agent_view", "check_text_view", "check_zero_sum", "pettingzoo_module", "rollout",
]
