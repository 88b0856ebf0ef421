"""Language-model seats: :class:`LLMAgent` plays any seat of any kernel game through a chat model.

At each of its decisions the agent shows the model the seat's text view
(:mod:`oversight_gym.core.text`: the rules and goal as the system message, what the seat
knows, the transcript it has seen and the legal actions by name as the user message) and
reads the reply back as a move. A reply that names no legal action is answered with the
view's message saying how to answer, up to ``max_attempts`` replies in all; then the agent
takes its declared ``fallback``: a uniformly random legal action (``"random"``) or a forfeit
(``"forfeit"``: :class:`~oversight_gym.core.errors.Forfeit` is raised, and the caller decides
what it scores). What happened at each decision (replies, refusals, errors, fallback, tokens) is
recorded in the game's transcript as a ``"model"`` event of the seat.

Backends (anything with ``model`` and ``complete(messages, params) -> ChatReply``):

* :class:`OpenAIChat`: any OpenAI-compatible ``/chat/completions`` endpoint (OpenAI, vLLM,
  llama.cpp's server, Ollama), over the standard library (``urllib``): a timeout per
  request, bounded retries with exponential backoff on timeouts, 429 and 5xx, and a limit on
  concurrent requests shared by every agent that uses the backend;
* :class:`InspectChat`: Inspect's model interface (``inspect_ai``, UK AI Security Institute),
  so every provider Inspect supports works; an optional extra.

:class:`ResponseCache` keeps every reply on disk, keyed by the model, the messages, the
sampling parameters and the attempt, so a killed run resumes without asking again and a
finished run replays exactly with ``replay=True``, without calling the model. Tokens and
cost are counted per episode in :attr:`LLMAgent.usage` (replayed replies count their
tokens and cost as when they were made, so a replay's accounting equals the original's;
``requests`` counts the calls actually sent).

The setting follows the language-model studies of the protocols modelled here: debaters and
judges (Khan et al. 2024, "Debating with more persuasive LLMs leads to more truthful
answers", ICML), pricing agents (Fish, Gonczarowski and Shorrer 2024, "Algorithmic collusion
by large language models", arXiv 2404.00806) and control evaluations built on Inspect.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.disk_cache import atomic_write_text
from oversight_gym.core.errors import Forfeit, check_choice, check_float, check_int
from oversight_gym.core.game import SIMULTANEOUS, State
from oversight_gym.core.protocols import Classifier
from oversight_gym.core.text import ReplyError, TextObservation, observe_text

#: the environment variables that configure a model when none is given
ENV_BASE_URL = "OVERSIGHT_GYM_LLM_BASE_URL"
ENV_MODEL = "OVERSIGHT_GYM_LLM_MODEL"
#: how to configure a model, for errors and for scenarios run without one
HOW_TO_CONFIGURE = (
    f"set {ENV_BASE_URL} to an OpenAI-compatible endpoint (for example http://127.0.0.1:8000/v1 for a local vLLM or "
    f"llama.cpp server, http://127.0.0.1:11434/v1 for Ollama, https://api.openai.com/v1 for OpenAI) and {ENV_MODEL} "
    f"to the model's name; a key, if the server needs one, is read from OPENAI_API_KEY"
)
FALLBACKS = ("random", "forfeit")

Messages = list[dict[str, str]]


class ModelError(RuntimeError):
    """The model could not be asked: an HTTP error, a timeout, a malformed response, or (when
    replaying) a reply that is not in the cache."""


class NotConfigured(ModelError, ValueError):
    """No model is configured; the message says how to configure one (a ``ValueError`` too,
    so that ``make_agent("llm")`` fails as a bad argument would, e.g. in ``oversight-gym play``)."""


@dataclass(frozen=True)
class ChatReply:
    """One reply of a chat model and the tokens it took."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ChatBackend(Protocol):
    model: str

    def complete(self, messages: Messages, params: dict[str, Any]) -> ChatReply: ...

    def cost(self, reply: ChatReply) -> float: ...


@dataclass
class Usage:
    """What one agent's model use came to in one episode."""

    decisions: int = 0
    replies: int = 0  # replies used, from the model or the cache
    requests: int = 0  # calls actually sent to the model
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    refusals: int = 0  # replies that named no legal action
    errors: int = 0  # calls that failed (after the backend's own retries)
    fallbacks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _priced(price: float, name: str) -> float:
    return check_float(name, price, 0.0)


_SHARED: dict[str, OpenAIChat] = {}
_SHARED_LOCK = threading.Lock()


class OpenAIChat:
    """An OpenAI-compatible chat endpoint (``POST {base_url}/chat/completions``).

    Parameters
    ----------
    base_url: the API root, e.g. ``http://127.0.0.1:8000/v1``.
    model: the model's name as the server knows it.
    api_key_env: the environment variable holding the key (read at each request; no key,
        no ``Authorization`` header, as local servers want).
    timeout: seconds to wait for a response before the request counts as failed.
    max_concurrency: requests in flight at once, over every thread that uses this backend.
    retries: further tries after a timeout, a connection error, a 429 or a 5xx, waiting
        ``backoff * 2**i`` seconds before try ``i + 1``; other HTTP errors are not retried.
    price_in, price_out: cost per million prompt and completion tokens.
    """

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", timeout: float = 60.0,
                 max_concurrency: int = 4, retries: int = 2, backoff: float = 0.5, price_in: float = 0.0,
                 price_out: float = 0.0) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty model name, got {model!r}")
        self.base_url, self.model, self.api_key_env = base_url.rstrip("/"), model, api_key_env
        self.timeout = check_float("timeout", timeout, 0.0)
        if self.timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.max_concurrency = check_int("max_concurrency", max_concurrency, low=1)
        self.retries = check_int("retries", retries, low=0)
        self.backoff = check_float("backoff", backoff, 0.0)
        self.price_in, self.price_out = _priced(price_in, "price_in"), _priced(price_out, "price_out")
        self._slots = threading.BoundedSemaphore(self.max_concurrency)

    @classmethod
    def from_env(cls, **kwargs: Any) -> OpenAIChat:
        """The endpoint named by ``$OVERSIGHT_GYM_LLM_BASE_URL`` and ``$OVERSIGHT_GYM_LLM_MODEL``;
        :class:`NotConfigured` (saying how to set them) if either is unset. Agents built from
        the same settings in one process share one backend, hence one concurrency limit."""
        base_url, model = os.environ.get(ENV_BASE_URL, ""), os.environ.get(ENV_MODEL, "")
        if not base_url or not model:
            raise NotConfigured(f"no language model is configured: {HOW_TO_CONFIGURE}")
        key = json.dumps([base_url, model, kwargs], sort_keys=True, default=str)
        with _SHARED_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls(base_url, model, **kwargs)
            return _SHARED[key]

    def cost(self, reply: ChatReply) -> float:
        return (reply.prompt_tokens * self.price_in + reply.completion_tokens * self.price_out) / 1e6

    def complete(self, messages: Messages, params: dict[str, Any]) -> ChatReply:
        body = json.dumps({"model": self.model, "messages": messages, **params}).encode()
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with self._slots, urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as e:
                detail = e.read()[:200].decode(errors="replace")
                last = f"HTTP {e.code} from {url}: {detail}"
                if e.code == 429 or e.code >= 500:
                    continue
                raise ModelError(last) from None
            except TimeoutError:
                last = f"no response from {url} within timeout={self.timeout:g} s"
                continue
            except urllib.error.URLError as e:
                if isinstance(e.reason, TimeoutError):
                    last = f"no response from {url} within timeout={self.timeout:g} s"
                else:
                    last = f"cannot reach {url}: {e.reason}"
                continue
            except (OSError, http.client.HTTPException) as e:  # a connection dropped mid-response
                last = f"connection to {url} failed: {type(e).__name__}: {e}"
                continue
            return _read_completion(raw, url)
        raise ModelError(f"{last} ({self.retries + 1} tries)")

    def __repr__(self) -> str:
        return f"OpenAIChat({self.base_url!r}, {self.model!r})"


def _read_completion(raw: bytes, url: str) -> ChatReply:
    """The reply text and token counts of a chat-completions response body."""
    try:
        data = json.loads(raw)
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ModelError(f"malformed response from {url}: {raw[:200].decode(errors='replace')!r}") from None
    if not isinstance(text, str):
        raise ModelError(f"malformed response from {url}: the message content is {text!r}, not text")
    usage = data.get("usage") or {}
    return ChatReply(text, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))


class InspectChat:
    """A model through Inspect's model interface (``inspect_ai.model.get_model``), so that
    every provider Inspect supports works (``"openai/gpt-4o"``, ``"anthropic/..."``,
    ``"mockllm/model"`` for tests). Requires the optional ``inspect_ai`` package."""

    def __init__(self, model: str, price_in: float = 0.0, price_out: float = 0.0, **model_args: Any) -> None:
        try:
            from inspect_ai.model import get_model
        except ImportError:
            raise ImportError("InspectChat needs the optional package inspect_ai: pip install inspect-ai, or "
                              "pip install 'oversight-gym[inspect]'; or use OpenAIChat for an OpenAI-compatible "
                              "server") from None
        self.model = model
        self.price_in, self.price_out = _priced(price_in, "price_in"), _priced(price_out, "price_out")
        self._model = get_model(model, **model_args)

    def cost(self, reply: ChatReply) -> float:
        return (reply.prompt_tokens * self.price_in + reply.completion_tokens * self.price_out) / 1e6

    def complete(self, messages: Messages, params: dict[str, Any]) -> ChatReply:
        from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig

        kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
        chat = [kinds[m["role"]](content=m["content"]) for m in messages]
        config = GenerateConfig(**{k: v for k, v in params.items() if k in ("temperature", "max_tokens", "seed")})
        try:
            output = asyncio.run(self._model.generate(chat, config=config))
        except Exception as e:  # noqa: BLE001 - any provider error is a failed call
            raise ModelError(f"{self.model}: {type(e).__name__}: {e}") from None
        usage = output.usage
        return ChatReply(output.completion, int(getattr(usage, "input_tokens", 0) or 0),
                         int(getattr(usage, "output_tokens", 0) or 0))


class ResponseCache:
    """Model replies on disk, one JSON file per request under ``directory``, keyed by the SHA-256
    of the model, the messages, the sampling parameters and the attempt. Files are written
    atomically, so threads and processes can share a cache and a killed run leaves no half
    file."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    @staticmethod
    def key(model: str, messages: Messages, params: dict[str, Any], attempt: int) -> str:
        blob = json.dumps({"model": model, "messages": messages, "params": params, "attempt": attempt},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> ChatReply | None:
        try:
            data = json.loads(self._path(key).read_text())
            return ChatReply(**data["reply"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or unreadable: asked again and rewritten

    def put(self, key: str, model: str, messages: Messages, params: dict[str, Any], reply: ChatReply) -> None:
        record = {"model": model, "messages": messages, "params": params, "reply": asdict(reply)}
        atomic_write_text(self._path(key), json.dumps(record, sort_keys=True))

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*/*.json")) if self.directory.exists() else 0


@dataclass
class _Decision:
    """What happened at one decision, for the transcript (not whether a reply came from the
    cache: a replayed run's transcript equals the original's)."""

    replies: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallback: str | None = None


class LLMAgent(BaseAgent):
    """A seat played by a chat model (see the module docstring).

    Parameters
    ----------
    backend: an :class:`OpenAIChat`, an :class:`InspectChat` or any object with ``model``,
        ``complete(messages, params)`` and ``cost(reply)``; ``None``: the model the environment
        names, ``OpenAIChat.from_env(**backend_options)`` (``timeout``, ``max_concurrency``, ...).
    seat: the seat's name; needed at a simultaneous move (all seats choose at once, so the
        state does not say whose decision it is), otherwise the player to move.
    cache: a :class:`ResponseCache` or a folder for one; ``None``: no cache.
    replay: answer only from the cache (a miss is a failed call); nothing is sent.
    temperature, max_tokens: sampling parameters sent with every request (with a ``seed``
        drawn from the agent's generator, so a seeded episode asks the same questions).
    max_attempts: replies asked for at one decision before the fallback.
    fallback: ``"random"`` (a uniformly random legal action) or ``"forfeit"``
        (:class:`~oversight_gym.core.errors.Forfeit`).
    instructions: text added to the system message (a persona, a prompt prefix).
    """

    name = "llm"
    description = "a chat language model reading the game's text view (OpenAI-compatible server or Inspect)"
    classifier = Classifier()
    requires_state: ClassVar[bool] = True

    def __init__(self, backend: ChatBackend | None = None, seat: str | None = None,
                 cache: ResponseCache | str | Path | None = None, replay: bool = False, temperature: float = 0.0,
                 max_tokens: int = 512, max_attempts: int = 3, fallback: str = "random", instructions: str = "",
                 backend_options: dict[str, Any] | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.backend = backend if backend is not None else OpenAIChat.from_env(**(backend_options or {}))
        self.seat = seat
        self.cache = ResponseCache(cache) if isinstance(cache, str | Path) else cache
        if replay and self.cache is None:
            raise ValueError("replay=True answers from the cache: pass cache=<folder of an earlier run>")
        self.replay = bool(replay)
        self.params = {"temperature": check_float("temperature", temperature, 0.0, 2.0),
                       "max_tokens": check_int("max_tokens", max_tokens, low=1)}
        self.max_attempts = check_int("max_attempts", max_attempts, low=1)
        self.fallback = check_choice("fallback", fallback, FALLBACKS)
        self.instructions = str(instructions)
        self.usage = Usage()
        self._events: list[tuple[str, dict[str, Any]]] = []

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.usage = Usage()
        self._events = []

    def pop_events(self) -> list[tuple[str, dict[str, Any]]]:
        """The events of the last decision, for the episode driver to record in the transcript."""
        events, self._events = self._events, []
        return events

    def _player(self, state: State) -> int:
        if self.seat is not None:
            return state.game.player_index(self.seat)
        player = state.current_player()
        if player == SIMULTANEOUS:
            raise ValueError(f"seat: all players of {state.game.name} move at once here; give LLMAgent(seat=...), "
                             f"one of {list(state.game.player_names)}")
        return player

    def _ask(self, messages: Messages, params: dict[str, Any], attempt: int, note: _Decision) -> ChatReply:
        model = self.backend.model
        key = ResponseCache.key(model, messages, params, attempt) if self.cache is not None else ""
        reply = self.cache.get(key) if self.cache is not None else None
        if reply is not None:
            self.usage.cache_hits += 1  # counted in the usage, not the transcript: a replay's transcript is the same
        elif self.replay:
            raise ModelError(f"replay: no cached reply of {model} for this request (attempt {attempt})")
        else:
            self.usage.requests += 1
            reply = self.backend.complete(messages, params)
            if self.cache is not None:
                self.cache.put(key, model, messages, params, reply)
        self.usage.replies += 1
        self.usage.prompt_tokens += reply.prompt_tokens
        self.usage.completion_tokens += reply.completion_tokens
        self.usage.cost += self.backend.cost(reply)
        note.prompt_tokens += reply.prompt_tokens
        note.completion_tokens += reply.completion_tokens
        return reply

    def act(self, observation: Any, action_mask: Any, state: Any = None) -> int:
        state = self._need_state(state)
        player = self._player(state)
        try:
            return self.choose(observe_text(state, player))
        except Forfeit as e:
            for kind, data in self.pop_events():  # the forfeiting decision, in the copy the caller gets
                state.log(player, kind, **data)
            raise Forfeit(player, e.seat, state, e.reason) from None

    def choose(self, view: TextObservation) -> int:
        """The action the model chooses in ``view`` (any text decision: a seat's move, or a
        judgement a family writes as a view): replies are asked for and read until one names
        a legal action, up to ``max_attempts``, then the fallback. What happened is kept for
        :meth:`pop_events`; :class:`~oversight_gym.core.errors.Forfeit` is raised for a forfeit."""
        system = view.system + (f"\n\n{self.instructions.strip()}" if self.instructions.strip() else "")
        messages: Messages = [{"role": "system", "content": system}, {"role": "user", "content": view.prompt}]
        params = {**self.params, "seed": int(self.rng.integers(2**31))}
        note = _Decision()
        self.usage.decisions += 1
        action: int | None = None
        for attempt in range(self.max_attempts):
            try:
                reply = self._ask(messages, params, attempt, note)
            except ModelError as e:
                self.usage.errors += 1
                note.errors.append(str(e))
                continue
            note.replies.append(reply.text)
            try:
                action = view.parse(reply.text)
                break
            except ReplyError as e:
                self.usage.refusals += 1
                note.refusals.append(str(e))
                messages = [*messages, {"role": "assistant", "content": reply.text},
                            {"role": "user", "content": f"Your reply was not read as a move: {e}"}]
        if action is None:
            self.usage.fallbacks += 1
            note.fallback = self.fallback
            if self.fallback == "random":
                action = int(self.rng.choice(sorted(view.actions)))
        self._events.append(("model", {"model": self.backend.model, "attempts": len(note.replies) + len(note.errors),
                                       "action": action, **asdict(note)}))
        if action is None:  # the forfeit
            reason = (note.refusals or note.errors or ["no reply"])[-1]
            raise Forfeit(-1, view.seat, None, f"no legal action in {self.max_attempts} attempt(s): {reason}")
        return action

    def __repr__(self) -> str:
        return f"LLMAgent({self.backend!r}, seat={self.seat!r})"

