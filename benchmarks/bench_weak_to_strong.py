"""Speed of the weak-to-strong pieces (Burns et al. 2023), each beside a baseline run in
the same process:

(a) training the numpy student (:class:`SoftMLP`, full-batch Adam on soft targets) beside
    scikit-learn's ``MLPClassifier`` (same width, full batch, Adam, the same number of
    iterations, hard labels) on the 8x8 digits' transfer half: ratio of times;
(b) hardening for the confidence loss with ten classes: the compiled greedy assignment
    beside the same rule written as a plain Python loop (and the labels checked equal);
(c) the confidence loss's overhead: a student trained with it beside one without;
(d) episodes per second of ``weak_to_strong/supervise-v0`` with random seats;
(e) pretraining a student's encoder (:func:`~oversight_gym.envs.weak_to_strong.pretrain.train_encoder`,
    minibatch Adam on the latent task's auxiliary targets) beside scikit-learn's
    ``MLPRegressor`` taking the same minibatch Adam steps (``partial_fit`` on the same
    batches), and loading the encoder from the disk cache beside building it.

Run: ``.venv/bin/python benchmarks/bench_weak_to_strong.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import oversight_gym as og
from oversight_gym.agents import RandomAgent
from oversight_gym.envs.weak_to_strong.data import load_task, make_split
from oversight_gym.envs.weak_to_strong.models import SoftMLP, class_quotas, harden, one_hot


def timed(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def python_greedy(probs: np.ndarray, quotas: np.ndarray) -> np.ndarray:
    n, k = probs.shape
    order = np.argsort(-probs.ravel(), kind="mergesort")
    out = [-1] * n
    left = quotas.tolist()
    for o in order.tolist():
        i, c = divmod(o, k)
        if out[i] < 0 and left[c] > 0:
            out[i] = c
            left[c] -= 1
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reps = 2 if args.quick else 5
    steps = 50 if args.quick else 200
    task = load_task("digits")
    split = make_split(task, 0)
    X, y = split.part("transfer")
    T = one_hot(y, 10)
    from sklearn.neural_network import MLPClassifier

    with threadpool_limits(1, "blas"):
        ours = timed(lambda: SoftMLP(10, (128,), steps=steps, seed=0).fit(X, T), reps)

        def sk() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: a fixed number of iterations is the point
                MLPClassifier((128,), solver="adam", batch_size=len(X), max_iter=steps, tol=0.0,
                              n_iter_no_change=10**9, random_state=0).fit(X, y)

        base = timed(sk, reps)
        print(f"(a) train mlp-128, {steps} full-batch Adam steps, {len(X)} x {X.shape[1]} digits:")
        print(f"    SoftMLP {ours * 1e3:.1f} ms   sklearn MLPClassifier {base * 1e3:.1f} ms   "
              f"ratio (sklearn / ours) {base / ours:.2f}")

        rng = np.random.default_rng(0)
        probs = rng.dirichlet(np.ones(10), size=len(X))
        balance = rng.dirichlet(np.ones(10))
        harden(probs, balance)  # compile (or load the cache) outside the timing
        fast = timed(lambda: harden(probs, balance), reps * 10)
        slow = timed(lambda: python_greedy(probs, class_quotas(balance, len(X))), reps)
        assert np.array_equal(harden(probs, balance), python_greedy(probs, class_quotas(balance, len(X))))
        print(f"(b) hardening {len(X)} x 10 probabilities: compiled {fast * 1e6:.0f} us   "
              f"python {slow * 1e6:.0f} us   ratio {slow / fast:.1f}")

        plain = timed(lambda: SoftMLP(10, (32,), steps=steps, seed=0).fit(X, T), reps)
        conf = timed(lambda: SoftMLP(10, (32,), steps=steps, seed=0).fit(X, T, aux_weight=0.5), reps)
        print(f"(c) mlp-32, {steps} steps: naive {plain * 1e3:.1f} ms   with confidence loss {conf * 1e3:.1f} ms   "
              f"overhead ratio {conf / plain:.2f}")

        episodes = 5 if args.quick else 20
        env = og.make("weak_to_strong/supervise-v0")
        agent = RandomAgent(seed=0)
        t = time.perf_counter()
        for ep in range(episodes):
            env.reset(seed=ep)
            for _name in env.agent_iter():
                obs, _, term, trunc, _ = env.last()
                env.step(None if term or trunc else agent.act(obs["observation"], obs["action_mask"]))
        rate = episodes / (time.perf_counter() - t)
        print(f"(d) weak_to_strong/supervise-v0 (defaults), random seats: {rate:.1f} episodes/s "
              f"(each trains a supervisor, a student and a ceiling)")
        bench_pretraining(300 if args.quick else 3000, reps)


def bench_pretraining(steps: int, reps: int) -> None:
    """(e): our encoder pretraining against scikit-learn's MLPRegressor on the same minibatches,
    and the disk cache against building."""
    import tempfile

    from sklearn.neural_network import MLPRegressor

    from oversight_gym.envs.weak_to_strong import pretrain

    task = load_task("latent")
    X, T = task.unlabelled, task.auxiliary
    ours = timed(lambda: pretrain.train_encoder(X, T, pretrain.ENCODER_WIDTH, steps, seed=0), reps)
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, len(X), pretrain.BATCH) for _ in range(steps)]

    def sk() -> None:
        model = MLPRegressor(hidden_layer_sizes=pretrain.ENCODER_WIDTH, solver="adam",
                             learning_rate_init=pretrain.LR, random_state=0)
        for idx in batches:
            model.partial_fit(X[idx], T[idx])

    base = timed(sk, max(1, reps // 2))
    print(f"(e) pretrain a {'-'.join(map(str, pretrain.ENCODER_WIDTH))} encoder, {steps} Adam steps of "
          f"{pretrain.BATCH} on {X.shape[0]} x {X.shape[1]} -> {T.shape[1]} targets:")
    print(f"    ours {ours * 1e3:.0f} ms   sklearn MLPRegressor.partial_fit {base * 1e3:.0f} ms   "
          f"ratio (sklearn / ours) {base / ours:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["OVERSIGHT_GYM_CACHE"] = tmp
        pretrain.pretrained_encoder.cache_clear()
        build = timed(lambda: pretrain.pretrained_encoder("latent", steps), 1)
        pretrain.pretrained_encoder.cache_clear()

        def load() -> None:
            pretrain.pretrained_encoder.cache_clear()
            pretrain.pretrained_encoder("latent", steps)

        cached = timed(load, reps)
        pretrain.pretrained_encoder.cache_clear()
        del os.environ["OVERSIGHT_GYM_CACHE"]
    print(f"    pretrained_encoder: build {build * 1e3:.0f} ms   from the disk cache {cached * 1e3:.1f} ms   "
          f"ratio {build / cached:.1f} (the task generated beforehand)")


if __name__ == "__main__":
    main()
