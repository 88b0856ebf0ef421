"""Policy gradient against a proxy reward with a KL penalty to the initial policy (the RLHF
objective of Ziegler et al. 2019, arXiv 1909.08593; Stiennon et al. 2020; studied for
overoptimisation by Gao, Schulman, Hilton 2022, arXiv 2210.10760, sec. 3.3).

The policy is a softmax over a finite set of responses, ``pi(i) ∝ pi0(i) exp(theta_i)``,
started at the initial policy (``theta = 0``). It ascends

    J(theta) = E_pi[r] - kl_coef * KL(pi || pi0),

whose gradient is ``dJ/dtheta_j = pi_j (A_j - E_pi[A])`` with ``A = r - kl_coef log(pi/pi0)``.

* ``mode="exact"``: that gradient, computed over the whole set;
* ``mode="sampled"``: REINFORCE with ``batch`` samples from ``pi`` and the batch mean of ``A``
  as baseline, an unbiased estimate of it (up to the baseline's own sample).

``geometry="vanilla"`` steps along the gradient (scaled by the set's size, so that ``lr``
does not depend on it for a uniform initial policy); ``geometry="natural"`` steps along
``A - E_pi[A]`` itself (natural policy gradient for a softmax, Kakade 2001), which without a
KL penalty moves exactly along the exponential tilts ``pi0 exp(t r)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oversight_gym.core.errors import check_choice, check_float, check_int


@dataclass
class PolicySnapshot:
    step: int
    policy: np.ndarray
    kl: float


def kl_to(policy: np.ndarray, initial: np.ndarray) -> float:
    """``KL(policy || initial)`` in nats (0 log 0 = 0)."""
    p = np.asarray(policy, dtype=np.float64)
    q = np.asarray(initial, dtype=np.float64)
    m = p > 0
    if np.any(q[m] <= 0):
        return float("inf")
    return float(max(0.0, np.sum(p[m] * (np.log(p[m]) - np.log(q[m])))))


class KLPolicyGradient:
    """A softmax policy over a finite response set trained against ``reward`` (the proxy)."""

    def __init__(self, initial: np.ndarray, reward: np.ndarray, kl_coef: float = 0.0, lr: float = 0.1,
                 mode: str = "exact", geometry: str = "vanilla", batch: int = 64, seed: int | None = 0) -> None:
        self.initial = np.asarray(initial, dtype=np.float64)
        self.reward = np.asarray(reward, dtype=np.float64)
        if self.initial.ndim != 1 or self.reward.shape != self.initial.shape:
            raise ValueError(f"initial and reward must be vectors of one length, got shapes "
                             f"{self.initial.shape} and {self.reward.shape}")
        if np.any(self.initial <= 0) or abs(self.initial.sum() - 1) > 1e-9:
            raise ValueError("initial must be a probability vector with every entry > 0")
        self.kl_coef = check_float("kl_coef", kl_coef, 0.0)
        self.lr = check_float("lr", lr, 0.0)
        self.mode = check_choice("mode", mode, ("exact", "sampled"))
        self.geometry = check_choice("geometry", geometry, ("vanilla", "natural"))
        self.batch = check_int("batch", batch, 1)
        self.rng = np.random.default_rng(seed)
        self.theta = np.zeros_like(self.initial)
        self._log_initial = np.log(self.initial)
        self.steps = 0

    @property
    def policy(self) -> np.ndarray:
        z = self._log_initial + self.theta
        z = z - z.max()
        p = np.exp(z)
        return p / p.sum()

    def kl(self) -> float:
        return kl_to(self.policy, self.initial)

    def advantage(self, policy: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_ratio = np.log(policy) - self._log_initial
        return self.reward - self.kl_coef * np.where(policy > 0, log_ratio, 0.0)

    def gradient(self) -> np.ndarray:
        """The (exact or sampled) direction of the next step, before ``lr``."""
        pi = self.policy
        adv = self.advantage(pi)
        if self.mode == "exact":
            centred = adv - pi @ adv
            if self.geometry == "natural":
                return centred
            return len(pi) * pi * centred
        ys = self.rng.choice(len(pi), size=self.batch, p=pi)
        a = adv[ys]
        weights = a - a.mean()
        if self.geometry == "natural":
            # a sampled estimate of A - E[A] on the responses seen; the rest keep their logits
            g = np.zeros_like(pi)
            np.add.at(g, ys, weights)
            counts = np.bincount(ys, minlength=len(pi))
            return np.where(counts > 0, g / np.maximum(counts, 1), 0.0)
        # REINFORCE: mean over the batch of (onehot(y) - pi) * (A_y - baseline)
        g = np.zeros_like(pi)
        np.add.at(g, ys, weights)
        g = (g - pi * weights.sum()) / self.batch
        return len(pi) * g

    def step(self) -> None:
        self.theta = self.theta + self.lr * self.gradient()
        self.steps += 1

    def run(self, steps: int, record_every: int = 1) -> list[PolicySnapshot]:
        """Take ``steps`` steps; snapshot the policy at step 0 and every ``record_every`` steps."""
        steps = check_int("steps", steps, 0)
        record_every = check_int("record_every", record_every, 1)
        out = [PolicySnapshot(self.steps, self.policy, self.kl())]
        for t in range(1, steps + 1):
            self.step()
            if t % record_every == 0 or t == steps:
                out.append(PolicySnapshot(self.steps, self.policy, self.kl()))
        return out


def tilted_policy(initial: np.ndarray, reward: np.ndarray, inverse_temperature: float) -> np.ndarray:
    """``pi0 exp(lambda r) / Z``: the maximiser of ``E[r] - KL / lambda`` (the exact optimum of
    the KL-penalised objective with ``kl_coef = 1 / lambda``)."""
    lam = check_float("inverse_temperature", inverse_temperature, 0.0)
    z = np.log(np.asarray(initial, dtype=np.float64)) + lam * np.asarray(reward, dtype=np.float64)
    z = z - z.max()
    p = np.exp(z)
    return p / p.sum()
