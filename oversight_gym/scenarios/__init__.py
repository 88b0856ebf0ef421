"""The built-in scenarios: one module per study, each defining ``SCENARIO``.

``oversight-gym list scenarios`` lists them and ``oversight-gym run NAME`` runs one; a module
also runs on its own (``python -m oversight_gym.scenarios.pixel_debate --quick``). Other
packages add theirs through the ``oversight_gym.scenarios`` entry-point group (see
:mod:`oversight_gym.runner.scenario`).
"""

from oversight_gym.runner.scenario import register_scenario_package

register_scenario_package(__name__)
