"""A scripted fake tool-calling chat model, and a guard against real model calls.

:class:`ScriptedChat` is a LangChain ``BaseChatModel`` that answers from a script: a
list of replies, each an ``AIMessage`` (text, ``tool_calls`` or ``invalid_tool_calls``),
an exception to raise (e.g. a typed ``LLMCallError``), or a function of the request's
messages that returns an ``AIMessage`` (a model that copies what it was shown). It
records every request (the messages and the tools bound with ``bind_tools``) and fails
the test when it is called more often than scripted.

:func:`forbid_real_models` makes any accidental real model call fail the test: the real
backends' generate/stream methods, and sockets to anything but loopback or a Unix
socket, raise ``pytest.fail`` (a ``BaseException``, so no ``except Exception`` or
fallback path can swallow it).
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

Reply = AIMessage | BaseException | Callable[[list[BaseMessage]], AIMessage]
"""One scripted reply: a message, an exception to raise, or a function of the request."""


@dataclass(frozen=True)
class Request:
    """One call the fake model received.

    Attributes:
        messages: the messages sent, in order.
        tools: the OpenAI-format tool schemas bound with ``bind_tools`` (None: unbound).
        tool_choice: the ``tool_choice`` bound with them, if any.
    """

    messages: list[BaseMessage]
    tools: list[dict[str, Any]] | None
    tool_choice: Any = None

    @property
    def tool_names(self) -> list[str]:
        """Names of the bound tools (empty when none were bound)."""
        return [t["function"]["name"] for t in self.tools or []]

    @property
    def text(self) -> str:
        """Every message's text, joined (for asserting what the model was shown)."""
        return "\n".join(m.text for m in self.messages)


class ScriptedChat(BaseChatModel):
    """A chat model that replies from a script and records what it was asked.

    Args:
        replies: the script, consumed one reply per call (bound copies share it).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[Any] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
    _position: int = PrivateAttr(0)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    @property
    def calls_left(self) -> int:
        """Scripted replies not used yet."""
        return len(self.replies) - self._position

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        self.requests.append(Request(messages=list(messages), tools=kwargs.get("tools"),
                                     tool_choice=kwargs.get("tool_choice")))
        if self._position >= len(self.replies):
            pytest.fail(f"the fake chat model was called {len(self.requests)} times but "
                        f"only {len(self.replies)} replies were scripted; last request:\n"
                        f"{self.requests[-1].text[-1500:]}")
        reply = self.replies[self._position]
        self._position += 1
        if isinstance(reply, BaseException):
            raise reply
        message = reply if isinstance(reply, AIMessage) else reply(list(messages))
        if not isinstance(message, AIMessage):
            pytest.fail(f"a scripted reply function returned {type(message).__name__}, "
                        "not an AIMessage")
        return ChatResult(generations=[ChatGeneration(message=message.model_copy(deep=True))])

    def bind_tools(self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
                   *, tool_choice: str | None = None,
                   **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as the real backends do: OpenAI schemas passed with every call."""
        schemas = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=schemas, **kwargs)


# ------------------------------------------------------------------ building replies
def text(content: str) -> AIMessage:
    """A plain text reply."""
    return AIMessage(content=content)


def call(name: str, args: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    """One well-formed tool call (for :func:`calls`)."""
    return dict(tool_call(name=name, args=args, id=call_id or f"call_{name}"))


def calls(*tool_calls: dict[str, Any]) -> AIMessage:
    """A reply that calls tools."""
    return AIMessage(content="", tool_calls=[tool_call(name=c["name"], args=c["args"],
                                                       id=c["id"]) for c in tool_calls])


def bad_call(name: str, raw_args: str, error: str) -> AIMessage:
    """A reply whose tool call could not be parsed (arguments that are not JSON)."""
    return AIMessage(content="", invalid_tool_calls=[
        invalid_tool_call(name=name, args=raw_args, id=f"bad_{name}", error=error)])


# ------------------------------------------------------------------ no real model calls
def _loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return True
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def forbid_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any real model call or non-loopback connection fail the test."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(real: Callable[..., Any]) -> Callable[..., Any]:
        def method(sock: socket.socket, address: Any) -> Any:
            if not _loopback(address):
                pytest.fail(f"an offline test tried to connect to {address!r}")
            return real(sock, address)
        return method

    monkeypatch.setattr(socket.socket, "connect", guarded(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex))

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        pytest.fail("a real chat model was called in an offline test; use ScriptedChat")

    targets = [("langchain_openai", "ChatOpenAI"),
               ("sportsgpt.agents.llm.openai_backend", "QwenChatOpenAI"),
               ("sportsgpt.agents.llm.qwen_transformers", "QwenTransformersChat")]
    for module_name, class_name in targets:
        if importlib.util.find_spec(module_name.split(".")[0]) is None:
            continue
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except ImportError:  # the backend's own packages are absent: it cannot be called
            continue
        for method in ("_generate", "_stream", "_agenerate", "_astream"):
            if method in vars(cls):
                monkeypatch.setattr(cls, method, refuse)
