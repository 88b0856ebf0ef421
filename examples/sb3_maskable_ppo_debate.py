"""Train a debater with Stable-Baselines3's MaskablePPO on the single-agent view of a debate
game, against a random opponent, and compare it with a random debater in the same seat.

The pixel debate (Irving et al. 2018) is turn-based and most actions are illegal at any
moment (a pixel already shown, a claim before the reveals end), so the policy needs
invalid-action masking (sb3-contrib's MaskablePPO; Huang & Ontañón 2020).

Run: ``python examples/sb3_maskable_ppo_debate.py [--steps 20000] [--seat liar]``
(needs ``pip install 'oversight-gym[rl]'``).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from oversight_gym.agents import RandomAgent
from oversight_gym.agents.learning.rl_libraries import PolicyAgent, sb3_env
from oversight_gym.analysis.metrics import Rate
from oversight_gym.core.registry import make_game
from oversight_gym.runner.episodes import play_episode

ENV_ID = "debate/pixels-v0"


def win_rate(game: Any, agents: list[Any], seat: int, episodes: int, seed: int) -> Rate:
    """Share of ``episodes`` games in which ``seat`` ends with a positive return."""
    wins = sum(play_episode(game, agents, seed + i).returns()[seat] > 0 for i in range(episodes))
    return Rate(int(wins), episodes)


def train_and_evaluate(seat: str = "liar", steps: int = 20_000, episodes: int = 400, seed: int = 0,
                       **game_kwargs: Any) -> dict[str, Any]:
    """Train MaskablePPO in ``seat`` against a random opponent; evaluate the trained policy
    and a random policy in that seat against the same random opponent on the same seeds."""
    import torch
    from sb3_contrib import MaskablePPO

    torch.set_num_threads(1)  # reproducible, and fair to a shared machine
    env = sb3_env(ENV_ID, seat, RandomAgent(seed=seed), **game_kwargs)
    model = MaskablePPO("MlpPolicy", env, n_steps=512, batch_size=128, learning_rate=1e-3, gamma=1.0,
                        ent_coef=0.01, seed=seed, verbose=0, device="cpu")
    model.learn(total_timesteps=steps)
    game = make_game(ENV_ID, **game_kwargs)
    me = game.player_index(seat)

    def lineup(agent: Any) -> list[Any]:
        return [agent if i == me else RandomAgent() for i in range(game.num_players)]

    eval_seed = 10_000 + seed  # episodes never seen in training
    trained = win_rate(game, lineup(PolicyAgent(model)), me, episodes, eval_seed)
    random = win_rate(game, lineup(RandomAgent()), me, episodes, eval_seed)
    return {"seat": seat, "steps": steps, "trained": trained, "random": random}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seat", default="liar", choices=["honest", "liar"])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--episodes", type=int, default=400)
    parser.add_argument("--pixels", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    res = train_and_evaluate(args.seat, args.steps, args.episodes, args.seed, pixels=args.pixels, judge_steps=2000)
    for name in ("random", "trained"):
        r = res[name]
        lo, hi = r.interval
        print(f"{name:8s} {args.seat} vs random opponent: win rate {r.value:.1%} [{lo:.1%}, {hi:.1%}] (n={r.n})")
    gain = res["trained"].value - res["random"].value
    print(f"MaskablePPO after {args.steps} steps: {100 * gain:+.1f} points over a random {args.seat}")
    return 0


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    raise SystemExit(main())
