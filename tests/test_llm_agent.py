"""Language-model seats (:mod:`oversight_gym.agents.llm`) against a fake OpenAI-compatible server
that the tests start on 127.0.0.1 (:mod:`oversight_gym.testing.fake_chat`): replies read as
moves, retries with the view's message, the declared fallback recorded in the transcript,
timeouts, HTTP errors, the concurrency limit, token and cost accounting, and the on-disk cache
(a replayed run equals the original and sends no request)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import oversight_gym
from oversight_gym.agents import RandomAgent
from oversight_gym.agents.llm import (
    HOW_TO_CONFIGURE,
    LLMAgent,
    ModelError,
    NotConfigured,
    OpenAIChat,
    ResponseCache,
)
from oversight_gym.core.episode import play_episode
from oversight_gym.core.errors import Forfeit
from oversight_gym.testing.fake_chat import FakeChatServer, FakeReply, legal_actions

DEBATE = "collusion/feature-debate-v0"


@pytest.fixture
def server():
    with FakeChatServer() as s:
        yield s


def chat(server: FakeChatServer, **kwargs) -> OpenAIChat:
    kwargs.setdefault("backoff", 0.0)
    return OpenAIChat(server.base_url, "fake-model", **kwargs)


def model_events(state) -> list[dict]:
    return [e.data for e in state.transcript if e.kind == "model"]


def first_decision(server: FakeChatServer, **agent_kwargs):
    """The agent's move at the first decision of the feature debate, and the agent."""
    game = oversight_gym.make_game(DEBATE)
    state = game.new_initial_state(np.random.default_rng(0))
    agent = LLMAgent(chat(server), seed=0, **agent_kwargs)
    from oversight_gym.core.episode import choose_action

    return choose_action(agent, state, 0), agent, state


def test_a_whole_game_is_played_from_replies_and_recorded(server: FakeChatServer) -> None:
    game = oversight_gym.make_game(DEBATE, reveals=1)
    a, b = LLMAgent(chat(server)), LLMAgent(chat(server))
    state = play_episode(game, [a, b], seed=3)
    assert state.is_terminal()
    events = model_events(state)
    assert len(events) == len(state.history) == len(server.requests)
    assert all(e["attempts"] == 1 and e["fallback"] is None and e["model"] == "fake-model" for e in events)
    # the first legal action each time: both answer 0, so the judge accepts 0 unchecked
    assert state.answers == [0, 0]
    assert "Your legal actions" in server.requests[0]["messages"][1]["content"]
    assert legal_actions(server.requests[0]) == {0: "answer 0", 1: "answer 1"}


def test_prose_around_the_choice_is_read(server: FakeChatServer) -> None:
    server._script = ["The bits favour one. I'll say answer 1 since most features are 1."]
    action, agent, _ = first_decision(server)
    assert action == 1 and agent.usage.refusals == 0


def test_unreadable_replies_are_retried_with_the_views_message(server: FakeChatServer) -> None:
    server._script = ["hmm", "answer 0 or answer 1?", "Fine.\nACTION: answer 1"]
    action, agent, state = first_decision(server, max_attempts=3)
    assert action == 1
    assert agent.usage.refusals == 2 and agent.usage.replies == 3 and agent.usage.fallbacks == 0
    last = server.requests[-1]["messages"]
    assert [m["role"] for m in last] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "ACTION: <name or number>" in last[-1]["content"] and "several legal actions" in last[-1]["content"]
    (event,) = model_events(state)
    assert event["replies"][-1].endswith("answer 1") and len(event["refusals"]) == 2


def test_after_max_attempts_the_random_fallback_is_taken_and_recorded(server: FakeChatServer) -> None:
    server.policy = lambda request: "I refuse to choose."
    action, agent, state = first_decision(server, max_attempts=2, fallback="random")
    assert action in (0, 1) and len(server.requests) == 2
    (event,) = model_events(state)
    assert event["fallback"] == "random" and event["action"] == action and agent.usage.fallbacks == 1


def test_the_forfeit_fallback_raises_with_the_game_and_the_record(server: FakeChatServer) -> None:
    server.policy = lambda request: "no"
    with pytest.raises(Forfeit, match="debater_a forfeits") as info:
        first_decision(server, max_attempts=1, fallback="forfeit")
    assert info.value.player == 0 and model_events(info.value.state)[0]["fallback"] == "forfeit"


def test_a_malformed_response_is_a_failed_call_and_the_next_attempt_is_used(server: FakeChatServer) -> None:
    server._script = [FakeReply(body=b"<html>not json</html>"), FakeReply(body=b'{"choices": []}'), "ACTION: 1"]
    action, agent, state = first_decision(server, max_attempts=3)
    assert action == 1 and agent.usage.errors == 2
    assert all("malformed response" in e for e in model_events(state)[0]["errors"])


def test_a_slow_reply_times_out(server: FakeChatServer) -> None:
    server._script = [FakeReply("ACTION: 1", delay=1.0)]
    backend = chat(server, timeout=0.2, retries=0)
    with pytest.raises(ModelError, match="within timeout=0.2"):
        backend.complete([{"role": "user", "content": "hi"}], {})
    server._script = [FakeReply("ACTION: 1", delay=1.0)] * 2
    action, agent, state = first_decision(server, max_attempts=2)  # the agent's default backend waits 60 s
    assert action == 1


def test_the_agent_falls_back_when_every_call_times_out(server: FakeChatServer) -> None:
    server.policy = lambda request: FakeReply("ACTION: 1", delay=1.0)
    game = oversight_gym.make_game(DEBATE)
    state = game.new_initial_state(np.random.default_rng(0))
    agent = LLMAgent(chat(server, timeout=0.2, retries=0), max_attempts=2, seed=1)
    from oversight_gym.core.episode import choose_action

    action = choose_action(agent, state, 0)
    (event,) = model_events(state)
    assert action in (0, 1) and event["fallback"] == "random" and len(event["errors"]) == 2
    assert agent.usage.errors == 2 and agent.usage.replies == 0


@pytest.mark.parametrize(("status", "retried"), [(500, True), (503, True), (429, True), (400, False), (401, False)])
def test_http_errors_are_retried_only_when_they_may_pass(server: FakeChatServer, status: int, retried: bool) -> None:
    server._script = [FakeReply("busy", status=status), "ACTION: 0"]
    backend = chat(server, retries=1)
    if retried:
        assert backend.complete([{"role": "user", "content": "x"}], {}).text == "ACTION: 0"
        assert len(server.requests) == 2
    else:
        with pytest.raises(ModelError, match=f"HTTP {status}"):
            backend.complete([{"role": "user", "content": "x"}], {})
        assert len(server.requests) == 1


def test_retries_are_bounded(server: FakeChatServer) -> None:
    server.policy = lambda request: FakeReply("down", status=502)
    with pytest.raises(ModelError, match=r"HTTP 502.*\(3 tries\)"):
        chat(server, retries=2).complete([{"role": "user", "content": "x"}], {})
    assert len(server.requests) == 3


def test_an_unreachable_server_is_a_clear_error() -> None:
    with FakeChatServer() as s:
        url = s.base_url
    with pytest.raises(ModelError, match="cannot reach"):
        OpenAIChat(url, "m", retries=0).complete([{"role": "user", "content": "x"}], {})


def _six_at_once(backend: OpenAIChat) -> None:
    threads = [threading.Thread(target=backend.complete, args=([{"role": "user", "content": str(i)}], {}))
               for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_requests_are_limited() -> None:
    # replies slow enough (0.5 s) that the six threads overlap even on a loaded machine (0.15 s did not under the suite)
    with FakeChatServer(delay=0.5) as server:
        _six_at_once(chat(server, max_concurrency=2))
        assert len(server.requests) == 6 and server.max_in_flight == 2
        _six_at_once(chat(server, max_concurrency=6))
        assert server.max_in_flight > 2  # the limit, not the server, held it at 2


def test_tokens_and_cost_are_counted_per_episode(server: FakeChatServer) -> None:
    game = oversight_gym.make_game(DEBATE, reveals=1)
    backend = chat(server, price_in=2.0, price_out=10.0)
    agent = LLMAgent(backend)
    state = play_episode(game, [agent, RandomAgent()], seed=0)
    events = model_events(state)
    words = [sum(len(m["content"].split()) for m in r["messages"]) for r in server.requests]
    assert agent.usage.prompt_tokens == sum(words) == sum(e["prompt_tokens"] for e in events)
    out = sum(e["completion_tokens"] for e in events)
    assert agent.usage.completion_tokens == out == 8 * len(events)  # "Let me think about the options. ACTION: 0"
    assert agent.usage.cost == pytest.approx((2.0 * sum(words) + 10.0 * out) / 1e6)
    assert agent.usage.decisions == agent.usage.requests == len(events)
    play_episode(game, [agent, RandomAgent()], seed=1)  # reset: the next episode counts from zero
    assert agent.usage.requests == len([e for e in server.requests[len(words):]])


def test_the_api_key_is_read_from_the_named_environment_variable(server: FakeChatServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-test")
    chat(server, api_key_env="MY_KEY").complete([{"role": "user", "content": "x"}], {})
    monkeypatch.delenv("MY_KEY")
    chat(server, api_key_env="MY_KEY").complete([{"role": "user", "content": "x"}], {})
    assert server.headers[0].get("Authorization") == "Bearer sk-test"
    assert "Authorization" not in server.headers[1]


def test_sampling_parameters_and_a_seed_are_sent(server: FakeChatServer) -> None:
    first_decision(server, temperature=0.7, max_tokens=64)
    request = server.requests[0]
    assert request["model"] == "fake-model" and request["temperature"] == 0.7 and request["max_tokens"] == 64
    assert isinstance(request["seed"], int)


def _run(server: FakeChatServer, cache: Path, replay: bool = False, seeds=(0, 1, 2)):
    """Three feature debates between two language-model seats, with varied replies."""
    game = oversight_gym.make_game(DEBATE, reveals=2)
    states, usages = [], []
    for seed in seeds:
        agents = [LLMAgent(chat(server), cache=cache, replay=replay, temperature=1.0) for _ in range(2)]
        states.append(play_episode(game, agents, seed=seed))
        usages.append([a.usage.as_dict() for a in agents])
    return states, usages


def test_a_replayed_run_equals_the_original_and_sends_no_request(tmp_path: Path) -> None:
    def varied(request):  # a reply that depends on the sampled seed, and is sometimes unreadable
        actions = sorted(legal_actions(request))
        pick = request["seed"] % (len(actions) + 1)
        return "I am unsure." if pick == len(actions) else f"Reasoning...\nACTION: {actions[pick]}"

    with FakeChatServer(varied) as server:
        original, usage = _run(server, tmp_path / "cache")
        sent = len(server.requests)
        assert sent > 0 and len(ResponseCache(tmp_path / "cache")) == sent
        replayed, usage2 = _run(server, tmp_path / "cache", replay=True)
        assert len(server.requests) == sent  # nothing sent
        resumed, _ = _run(server, tmp_path / "cache")  # a resumed run asks only what is not cached
        assert len(server.requests) == sent
    for a, b, c in zip(original, replayed, resumed, strict=True):
        assert a.transcript_json() == b.transcript_json() == c.transcript_json()
        assert a.history == b.history
    for u, v in zip(usage, usage2, strict=True):
        for x, y in zip(u, v, strict=True):
            assert y["requests"] == 0 and y["cache_hits"] == x["replies"] == y["replies"]
            assert {k: x[k] for k in x if k not in ("requests", "cache_hits")} == \
                {k: y[k] for k in y if k not in ("requests", "cache_hits")}


def test_replaying_a_request_not_in_the_cache_sends_nothing(server: FakeChatServer, tmp_path: Path) -> None:
    action, agent, state = first_decision(server, cache=tmp_path, replay=True, max_attempts=1)
    assert server.requests == [] and agent.usage.errors == 1
    assert "no cached reply" in model_events(state)[0]["errors"][0]
    with pytest.raises(ValueError, match="replay=True answers from the cache"):
        LLMAgent(chat(server), replay=True)


def test_a_simultaneous_game_needs_the_seat(server: FakeChatServer) -> None:
    game = oversight_gym.make_game("collusion/pricing-v0", horizon=2)
    with pytest.raises(ValueError, match="seat: all players"):
        play_episode(game, [LLMAgent(chat(server)), LLMAgent(chat(server))], seed=0)
    state = play_episode(game, [LLMAgent(chat(server), seat="firm_0"), LLMAgent(chat(server), seat="firm_1")], seed=0)
    assert state.is_terminal() and state.history == [[0, 0], [0, 0]]
    assert "you priced" in server.requests[-1]["messages"][1]["content"]


def test_without_a_model_the_error_says_how_to_configure_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVERSIGHT_GYM_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("OVERSIGHT_GYM_LLM_MODEL", raising=False)
    with pytest.raises(NotConfigured, match="OVERSIGHT_GYM_LLM_BASE_URL"):
        LLMAgent()
    assert "OVERSIGHT_GYM_LLM_MODEL" in HOW_TO_CONFIGURE


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"fallback": "pass"}, "fallback must be one of"), ({"max_attempts": 0}, "max_attempts must be in"),
    ({"temperature": -1}, "temperature must be"),
])
def test_bad_parameters_are_named(server: FakeChatServer, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LLMAgent(chat(server), **kwargs)


def test_bad_backend_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="base_url must be"):
        OpenAIChat("localhost:8000", "m")
    with pytest.raises(ValueError, match="max_concurrency must be"):
        OpenAIChat("http://127.0.0.1:1/v1", "m", max_concurrency=0)


def test_the_inspect_backend_is_optional() -> None:
    from oversight_gym.agents.llm import InspectChat

    try:
        import inspect_ai  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install inspect-ai"):
            InspectChat("mockllm/model")
        pytest.skip("inspect_ai is not installed: its mock model is not tried")
    from inspect_ai.model import ModelOutput, ModelUsage

    def scripted(*texts: str) -> list[ModelOutput]:
        # usage given, so that the mock model does not count tokens with tiktoken (which downloads its encoding)
        out = [ModelOutput.from_content(model="mockllm/model", content=t) for t in texts]
        for o in out:
            o.usage = ModelUsage(input_tokens=40, output_tokens=5, total_tokens=45)
        return out

    # a whole feature debate through Inspect's mock model: the first reply is unreadable, so it is retried
    backend = InspectChat("mockllm/model", price_in=1.0, price_out=2.0,
                          custom_outputs=scripted("I cannot decide.", *["Fine. ACTION: 1"] * 20))
    agent = LLMAgent(backend)
    game = oversight_gym.make_game(DEBATE, reveals=1)
    state = play_episode(game, [agent, RandomAgent()], seed=0)
    events = model_events(state)
    assert state.is_terminal() and events[0]["attempts"] == 2 and events[0]["fallback"] is None
    assert agent.usage.requests == sum(e["attempts"] for e in events)
    assert agent.usage.prompt_tokens == 40 * agent.usage.requests
    assert agent.usage.cost == pytest.approx((40 * 1.0 + 5 * 2.0) * agent.usage.requests / 1e6)
