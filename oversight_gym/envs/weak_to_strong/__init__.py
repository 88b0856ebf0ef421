"""Weak-to-strong generalisation (Burns et al. 2023, arXiv 2312.09390): a weak supervisor
labels data for a strong student.

* :mod:`~oversight_gym.envs.weak_to_strong.data`: tasks (scikit-learn's bundled data sets,
  a synthetic generator with controllable feature salience and label noise, and latent-
  structure tasks whose concept is linear in hidden factors) and the weak / transfer / test split;
* :mod:`~oversight_gym.envs.weak_to_strong.pretrain`: pretrained students, linear probes on
  encoders pretrained without the task's labels (the mechanism of the paper's sec. 6);
* :mod:`~oversight_gym.envs.weak_to_strong.models`: the ladder of learners and the numpy
  student trained on soft labels with the auxiliary confidence loss;
* :mod:`~oversight_gym.envs.weak_to_strong.experiment`: the supervisor-student experiment
  (naive, confidence loss, bootstrapping) and its records;
* :mod:`~oversight_gym.envs.weak_to_strong.supervise`: the game view, a supervisor seat
  that provides or withholds labels and a student seat that chooses how much to trust them.

Importing this package registers its games (lazily: a game's module is imported only when
the game is made).
"""

from oversight_gym.core.payoffs import ZeroSum
from oversight_gym.core.registry import register

register(
    "weak_to_strong/supervise-v0",
    "oversight_gym.envs.weak_to_strong.supervise:SuperviseGame",
    "Weak-to-strong (Burns et al. 2023): a supervisor provides or withholds weak labels, a student picks its trust",
    # small tasks and short training keep every configuration cheap (a few ms per episode)
    space={
        "task": ["synthetic:n=240,d=6", "iris", "synthetic:n=240,d=6,k=3,noise=0.1"],
        "weak": ["tree-d2", "lr-f2"],
        "strong": ["mlp-8", "mlp-0"],
        "bins": [1, 3],
        "trust_levels": [2, 3],
        "steps": [15],
        "label_cost": [0.0, 0.3],
        "supervisor_goal": ["help", "mislead"],
        "payoff": [None, ZeroSum()],
    },
)
