"""An RLlib configuration for the Parallel view: PPO firms in the pricing game.

RLlib (Liang et al. 2018) takes a PettingZoo Parallel env through its
``ParallelPettingZooEnv`` wrapper. The observation given to RLlib is the kernel's
observation array (the dict's action mask is dropped: in the pricing game every price is
always legal). Two policy layouts are shown: one policy shared by all firms, or one policy
per firm (independent learners, the setting of Calvano et al. 2020).

Run: ``python examples/rllib_pricing.py [--iterations 5] [--independent]`` (needs
``pip install 'oversight-gym[rl]'``).
"""

from __future__ import annotations

import argparse
from typing import Any

ENV_NAME = "oversight_gym_pricing"


def make_env(env_config: dict[str, Any]) -> Any:
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    import oversight_gym as og
    from oversight_gym.agents.learning.rl_libraries import _observation_only

    return ParallelPettingZooEnv(_observation_only(og.make_parallel("collusion/pricing-v0", **env_config)))


def build_config(horizon: int = 100, independent: bool = False, train_batch_size: int = 2000, seed: int = 0) -> Any:
    """A PPOConfig on the pricing game (``num_env_runners=0``: sampling in the driver)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    import oversight_gym as og

    register_env(ENV_NAME, make_env)
    firms = og.make_game("collusion/pricing-v0").player_names
    if independent:
        policies = set(firms)

        def mapping(agent_id: str, *args: Any, **kwargs: Any) -> str:
            return agent_id
    else:
        policies = {"shared"}

        def mapping(agent_id: str, *args: Any, **kwargs: Any) -> str:
            return "shared"
    return (PPOConfig()
            .environment(ENV_NAME, env_config={"horizon": horizon})
            .framework("torch")
            .env_runners(num_env_runners=0)
            .multi_agent(policies=policies, policy_mapping_fn=mapping)
            .training(train_batch_size=train_batch_size, minibatch_size=min(256, train_batch_size), num_epochs=4,
                      gamma=0.95)
            .debugging(seed=seed))


def main(argv: list[str] | None = None) -> int:
    import ray

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--independent", action="store_true", help="one policy per firm")
    args = parser.parse_args(argv)
    ray.init(include_dashboard=False, log_to_driver=False)
    try:
        algo = build_config(independent=args.independent).build_algo()
        for i in range(args.iterations):
            result = algo.train()
            runners = result.get("env_runners", {})
            print(f"iteration {i + 1}: mean episode return (all firms) {runners.get('episode_return_mean'):.2f}, "
                  f"per firm {runners.get('agent_episode_returns_mean')}")
        algo.stop()
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
