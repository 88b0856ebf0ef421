"""What the language-model scenarios (``llm-debate``, ``llm-pricing``) share: the model's
options, the run without a configured model, and the model-use measures.

A model is configured by the environment (:data:`~oversight_gym.agents.llm.ENV_BASE_URL`,
:data:`~oversight_gym.agents.llm.ENV_MODEL`, and a key in ``OPENAI_API_KEY`` if the server
needs one); every reply is cached in the run's folder (``model-cache/``), so running the same
command again resumes, or replays the finished run without calling the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from oversight_gym.agents.llm import FALLBACKS, HOW_TO_CONFIGURE, NotConfigured, OpenAIChat
from oversight_gym.analysis.measures import Measure
from oversight_gym.runner.scenario import Context, Param, ScenarioResult

#: the options of the model, shared by the language-model scenarios
MODEL_PARAMS = [
    Param("temperature", float, 0.0, "the model's sampling temperature", low=0, high=2),
    Param("max_tokens", int, 512, "the longest reply, in tokens", low=1, high=100_000),
    Param("attempts", int, 3, "replies asked for at one decision before the fallback", low=1, high=20),
    Param("fallback", str, "random", "what a seat does when no reply names a legal action", choices=FALLBACKS),
    Param("concurrency", int, 4, "requests to the model in flight at once", low=1, high=256),
    Param("timeout", float, 120.0, "seconds to wait for one reply", low=0, open_low=True, high=3600),
]


def agent_kwargs(params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """``LLMAgent`` arguments from the options (JSON-able: a tournament entrant carries them);
    the replies are cached in the run's folder."""
    return {"cache": str(ctx.path("model-cache")), "temperature": params["temperature"],
            "max_tokens": params["max_tokens"], "max_attempts": params["attempts"], "fallback": params["fallback"],
            "backend_options": {"timeout": params["timeout"], "max_concurrency": params["concurrency"]}}


def configured() -> str | None:
    """``None`` if a model is configured, else the message saying how to configure one."""
    try:
        OpenAIChat.from_env()
    except NotConfigured as e:
        return str(e)
    return None


def not_configured(title: str, message: str) -> ScenarioResult:
    """The result of a run without a model: no measures, and how to configure one."""
    return ScenarioResult(title, [], [message, "nothing was run; configure a model and run the same command again "
                                      f"(for a local server: {HOW_TO_CONFIGURE.split('(')[0].strip()})."])


def usage_measures(usages: Iterable[dict[str, Any] | None], matches: int, setting: dict[str, Any],
                   group: str) -> list[Measure]:
    """Model use over ``matches`` games: requests sent, replies from the cache, tokens and cost
    per game, unreadable replies, failed calls and fallbacks."""
    used = [u for u in usages if u]
    total = {k: sum(u[k] for u in used) for k in ("requests", "cache_hits", "prompt_tokens", "completion_tokens",
                                                   "cost", "refusals", "errors", "fallbacks", "decisions")}
    per = max(matches, 1)
    return [Measure("model decisions", total["decisions"], n=matches, setting=setting, group=group),
            Measure("tokens per game (prompt + completion)",
                    (total["prompt_tokens"] + total["completion_tokens"]) / per, n=matches, digits=0,
                    setting=setting, group=group),
            Measure("cost per game", total["cost"] / per, n=matches, digits=4, setting=setting, group=group),
            Measure("requests sent / replies from the cache", f"{total['requests']} / {total['cache_hits']}",
                    setting=setting, group=group),
            Measure("unreadable replies / failed calls / fallbacks",
                    f"{total['refusals']} / {total['errors']} / {total['fallbacks']}", setting=setting, group=group)]
