"""Qwen3 on the local machine through ``transformers``, as a LangChain chat model.

Why this class exists: LangChain's HuggingFace wrappers (``ChatHuggingFace`` over a
local ``HuggingFacePipeline``) drop bound tools for local pipelines, so a local
Qwen3 could not call SportsGPT's tools. :class:`QwenTransformersChat` renders the
checkpoint's own chat template with ``tools=`` (the OpenAI function schema the
Qwen3 template expects), generates with ``model.generate`` and reads Qwen3's
hermes ``<tool_call>`` blocks back into ``AIMessage.tool_calls`` with
:mod:`sportsgpt.agents.llm.qwen_format`.

torch and transformers are imported only when a model is loaded or a prompt is
rendered; importing this module costs LangChain core only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.json import parse_partial_json
from pydantic import ConfigDict, Field, PrivateAttr

from sportsgpt.agents.llm.errors import LLMConfigError, LLMError
from sportsgpt.agents.llm.qwen_format import (
    THINK_CLOSE,
    THINK_OPEN,
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    ParsedToolCalls,
    parse_tool_calls,
    split_thinking,
)
from sportsgpt.core.errors import MissingDependencyError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

ThinkingMode = Literal["auto", "on", "off"]
_CALL_KWARGS = frozenset({"tools", "tool_choice", "max_new_tokens", "enable_thinking"})
_END_TOKENS = ("<|im_end|>", "<|endoftext|>")


class LLMCheckpointError(LLMConfigError):
    """The local checkpoint folder is missing, incomplete or has no chat template."""


class LLMInputError(LLMError, ValueError):
    """Messages, tools or call options the backend cannot render (names the value)."""


class LLMContextError(LLMError, ValueError):
    """The prompt plus the requested new tokens do not fit the model's context length."""

    def __init__(self, prompt_tokens: int, max_new_tokens: int, context_length: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.context_length = context_length
        super().__init__(
            f"prompt of {prompt_tokens} tokens plus max_new_tokens={max_new_tokens} exceeds "
            f"the context length of {context_length} tokens: shorten the conversation or "
            f"lower max_new_tokens")


@dataclass(frozen=True)
class RenderedPrompt:
    """A chat rendered by the checkpoint's template, ready for ``generate``.

    ``prefill`` is text the template or a forced ``tool_choice`` placed at the start of
    the assistant turn; it is part of ``text`` and belongs to the model's answer.
    """

    text: str
    prefill: str
    max_new_tokens: int


@dataclass(frozen=True)
class Generation:
    """What one ``generate`` call produced, without the prompt."""

    text: str
    output_tokens: int
    finish_reason: Literal["stop", "length"]


def _text_of(content: str | list[str | dict[str, Any]], where: str) -> str:
    """Flatten LangChain message content to text; Qwen3 is a text-only model."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        else:
            raise LLMInputError(f"{where} holds a content block of type "
                                f"{block.get('type')!r}; this Qwen3 backend reads text only")
    return "".join(parts)


def _assistant_dict(message: AIMessage) -> dict[str, Any]:
    content = _text_of(message.content, "an assistant message")
    # A call the model wrote badly is shown back to it as written.
    for bad in message.invalid_tool_calls:
        content += f"\n{TOOL_CALL_OPEN}\n{bad.get('args') or ''}\n{TOOL_CALL_CLOSE}"
    out: dict[str, Any] = {"role": "assistant", "content": content}
    if message.tool_calls:
        out["tool_calls"] = [{"type": "function",
                              "function": {"name": call["name"], "arguments": call["args"]}}
                             for call in message.tool_calls]
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        out["reasoning_content"] = reasoning
    return out


def to_template_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert LangChain messages to the role/content dicts Qwen3's chat template reads.

    Tool results become role ``"tool"`` (the template wraps them in
    ``<tool_response>`` inside a user turn); assistant tool calls become OpenAI-style
    ``tool_calls`` with their arguments as objects; stored reasoning is passed as
    ``reasoning_content``.
    """
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"message {i} ({message.type})"
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": _text_of(message.content, where)})
        elif isinstance(message, HumanMessage):
            out.append({"role": "user", "content": _text_of(message.content, where)})
        elif isinstance(message, AIMessage):
            out.append(_assistant_dict(message))
        elif isinstance(message, ToolMessage):
            out.append({"role": "tool", "content": _text_of(message.content, where),
                        "tool_call_id": message.tool_call_id})
        elif isinstance(message, ChatMessage) and message.role in {"system", "user",
                                                                     "assistant", "tool"}:
            out.append({"role": message.role, "content": _text_of(message.content, where)})
        else:
            raise LLMInputError(f"{where} has a role the Qwen3 chat template does not know")
    return out


def _tool_choice_prefill(tool_choice: Any, tools: list[dict[str, Any]]) -> str:
    """Text that starts the assistant turn so that a forced tool call is really made."""
    if tool_choice in (None, "auto", "none"):
        return ""
    if not tools:
        raise LLMInputError(f"tool_choice={tool_choice!r} needs bound tools; none are bound")
    if tool_choice in ("any", "required", True):
        return f"{TOOL_CALL_OPEN}\n"
    name = tool_choice
    if isinstance(tool_choice, dict):
        name = tool_choice.get("function", {}).get("name", tool_choice.get("name"))
    names = [t["function"]["name"] for t in tools]
    if not isinstance(name, str) or name not in names:
        raise LLMInputError(f"tool_choice={tool_choice!r} names no bound tool; bound: {names}")
    return f'{TOOL_CALL_OPEN}\n{{"name": {json.dumps(name)}, "arguments": '


def _stream_invalid_args(raw: str) -> str:
    """Args text for an invalid call in a stream that LangChain cannot mistake for valid.

    When streamed chunks are added up, LangChain re-parses each call's args and calls
    any JSON object valid; a block that is an object but not a valid call (missing
    name, non-object arguments) is therefore sent as a JSON string literal.
    """
    try:
        parsed = parse_partial_json(raw)
    except ValueError:
        return raw
    return json.dumps(raw) if isinstance(parsed, dict) else raw


class _StreamSplitter:
    """Route streamed text to content or reasoning, holding back ``<tool_call>`` blocks.

    Text is released only when no tag can start inside it; leading and trailing
    whitespace of each channel is dropped, as in the non-streaming result.
    """

    _TAGS = (THINK_OPEN, THINK_CLOSE, TOOL_CALL_OPEN, TOOL_CALL_CLOSE)

    def __init__(self, thinking: bool) -> None:
        self.mode: Literal["text", "think", "tool"] = "think" if thinking else "text"
        self.buffer = ""
        self.started = {"text": False, "think": False}
        self.pending_ws = {"text": "", "think": ""}

    def _hold(self) -> int:
        """Length of the buffer's tail that could be the start of a tag."""
        longest = max(len(t) for t in self._TAGS)
        for n in range(min(longest - 1, len(self.buffer)), 0, -1):
            if any(t.startswith(self.buffer[-n:]) for t in self._TAGS):
                return n
        return 0

    def _out(self, channel: Literal["text", "think"], text: str) -> list[tuple[str, str]]:
        if not self.started[channel]:
            text = text.lstrip()
            if not text:
                return []
            self.started[channel] = True
        body = text.rstrip()
        if not body:
            self.pending_ws[channel] += text
            return []
        piece = self.pending_ws[channel] + body
        self.pending_ws[channel] = text[len(body):]
        return [(channel, piece)]

    def feed(self, text: str, final: bool = False) -> list[tuple[str, str]]:
        """Take new text; return ``(channel, piece)`` pairs ready to be sent."""
        self.buffer += text
        out: list[tuple[str, str]] = []
        while True:
            if self.mode == "tool":
                end = self.buffer.find(TOOL_CALL_CLOSE)
                if end < 0:
                    return out
                self.buffer = self.buffer[end + len(TOOL_CALL_CLOSE):]
                self.mode = "text"
                continue
            closers: tuple[tuple[str, Literal["text", "think", "tool"]], ...] = (
                (THINK_OPEN, "think"), (TOOL_CALL_OPEN, "tool"), (THINK_CLOSE, "text"))
            if self.mode == "think":
                closers = ((THINK_CLOSE, "text"),)
            found = [(self.buffer.find(tag), tag, nxt) for tag, nxt in closers]
            hits = [f for f in found if f[0] >= 0]
            if not hits:
                keep = 0 if final else self._hold()
                ready, self.buffer = self.buffer[:len(self.buffer) - keep], self.buffer[
                    len(self.buffer) - keep:]
                if ready:
                    out += self._out("think" if self.mode == "think" else "text", ready)
                return out
            pos, tag, nxt = min(hits)
            before = self.buffer[:pos]
            if before:
                out += self._out("think" if self.mode == "think" else "text", before)
            self.buffer = self.buffer[pos + len(tag):]
            self.mode = nxt


class QwenTransformersChat(BaseChatModel):
    """Qwen3 from a local checkpoint folder through ``transformers``, with tool calling.

    LangChain's HuggingFace wrapper drops bound tools for local pipelines; this class
    renders the checkpoint's own chat template with ``tools=`` and parses Qwen3's
    ``<tool_call>`` blocks into ``AIMessage.tool_calls`` (malformed ones into
    ``invalid_tool_calls`` with the reason), so a local Qwen3 can drive the agent.

    Loading is lazy and offline (``local_files_only=True``: nothing is downloaded).
    Generation is greedy by default (``temperature=0``), seeded when sampling.
    Reasoning (``<think>``) goes to ``additional_kwargs["reasoning_content"]``, never
    to ``content``. With ``thinking="auto"`` reasoning is switched off when tools are
    bound (also the case for ``with_structured_output``) and on otherwise. A forced
    ``tool_choice`` (``"any"``, ``"required"`` or a tool name) pre-fills the start of
    the ``<tool_call>`` block so that the model really calls a tool.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    model_path: Path = Field(description="Local checkpoint folder (config, weights, tokenizer).")
    max_new_tokens: int = Field(default=512, gt=0)
    context_length: int | None = Field(
        default=None, gt=0, description="Token limit; default: max_position_embeddings.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 means greedy decoding.")
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int = 0
    thinking: ThinkingMode = "auto"
    device: str = Field(default="auto", description="'auto' (CUDA if present), 'cpu', 'cuda:0'...")
    dtype: str = Field(default="auto", description="torch dtype name, or 'auto' (checkpoint's).")

    _tokenizer: PreTrainedTokenizerBase | None = PrivateAttr(default=None)
    _model: PreTrainedModel | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "qwen3-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.model_path), "max_new_tokens": self.max_new_tokens,
                "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed,
                "thinking": self.thinking}

    # ------------------------------------------------------------------ loading
    def _load(self) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
        """Load tokenizer and model once, offline."""
        with self._lock:
            if self._tokenizer is not None and self._model is not None:
                return self._tokenizer, self._model
            folder = Path(self.model_path)
            if not (folder / "config.json").is_file():
                raise LLMCheckpointError(f"no Qwen3 checkpoint at {folder}: config.json missing")
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise MissingDependencyError(exc.name or "transformers", "agents",
                                             "the local Qwen3 backend") from exc
            dtype: Any = self.dtype
            if dtype != "auto":
                dtype = getattr(torch, dtype, None)
                if not isinstance(dtype, torch.dtype):
                    raise LLMInputError(f"dtype {self.dtype!r} is not a torch dtype name")
            try:
                tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
                model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True,
                                                             dtype=dtype)
            except OSError as exc:
                raise LLMCheckpointError(f"cannot load the checkpoint at {folder}: {exc}") from exc
            if not tokenizer.chat_template:
                raise LLMCheckpointError(f"the tokenizer at {folder} has no chat template")
            device = self.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            model.to(device)  # type: ignore[arg-type]  # nn.Module.to is typed loosely
            self._tokenizer, self._model = tokenizer, model
            return tokenizer, model

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The checkpoint's tokenizer (loads the model on first use)."""
        return self._load()[0]

    def _context_length(self, model: PreTrainedModel) -> int:
        if self.context_length is not None:
            return self.context_length
        return int(model.config.max_position_embeddings)

    # ------------------------------------------------------------------ tools
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools, converted to the OpenAI function schema Qwen3's template renders."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        _tool_choice_prefill(tool_choice, formatted)  # fail now on a bad choice
        return super().bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    # ------------------------------------------------------------------ rendering
    def render_prompt(self, messages: Sequence[BaseMessage], **kwargs: Any) -> RenderedPrompt:
        """Render a chat with the checkpoint's template, as ``generate`` will see it.

        Keyword arguments are those a call accepts: ``tools``, ``tool_choice``,
        ``max_new_tokens`` and ``enable_thinking``; others raise :class:`LLMInputError`.
        """
        unknown = sorted(set(kwargs) - _CALL_KWARGS)
        if unknown:
            raise LLMInputError(f"unsupported call option(s) {unknown}; "
                                f"known: {sorted(_CALL_KWARGS)}")
        tools = [t if isinstance(t, dict) and t.get("type") == "function" and "function" in t
                 else convert_to_openai_tool(t) for t in kwargs.get("tools") or []]
        tool_choice = kwargs.get("tool_choice")
        prefill = _tool_choice_prefill(tool_choice, tools)
        if tool_choice == "none":
            tools = []
        thinking = kwargs.get("enable_thinking")
        if thinking is None:
            thinking = self.thinking == "on" or (self.thinking == "auto" and not tools)
        if prefill:
            thinking = False  # a forced call starts the turn: no room for reasoning
        requested = kwargs.get("max_new_tokens")
        max_new = self.max_new_tokens if requested is None else int(requested)
        if max_new <= 0:
            raise LLMInputError(f"max_new_tokens must be positive, got {max_new}")
        schemas: list[dict[Any, Any] | Callable[..., Any]] = list(tools)
        text = self.tokenizer.apply_chat_template(
            to_template_messages(messages), tools=schemas or None, add_generation_prompt=True,
            enable_thinking=bool(thinking), tokenize=False)
        if not isinstance(text, str):
            raise TypeError(f"apply_chat_template returned {type(text).__name__}, not str")
        if thinking and text.endswith(THINK_OPEN + "\n"):
            prefill = THINK_OPEN + "\n"  # templates that open the reasoning themselves
        return RenderedPrompt(text=text + (prefill if not text.endswith(prefill) else ""),
                              prefill=prefill, max_new_tokens=max_new)

    # ------------------------------------------------------------------ generation
    def _prepare(self, prompt: RenderedPrompt,
                 stop: list[str] | None) -> tuple[dict[str, Any], int]:
        """Tokenise the prompt, check the context length, build ``generate`` arguments."""
        import torch

        tokenizer, model = self._load()
        encoded = tokenizer(prompt.text, add_special_tokens=False, return_tensors="pt")
        n_prompt = int(encoded["input_ids"].shape[1])
        limit = self._context_length(model)
        if n_prompt + prompt.max_new_tokens > limit:
            raise LLMContextError(n_prompt, prompt.max_new_tokens, limit)
        end_ids = [tokenizer.convert_tokens_to_ids(t) for t in _END_TOKENS
                   if t in tokenizer.get_vocab()]
        sampling = self.temperature > 0
        args: dict[str, Any] = {
            "input_ids": encoded["input_ids"].to(model.device),
            "attention_mask": encoded["attention_mask"].to(model.device),
            "max_new_tokens": prompt.max_new_tokens, "do_sample": sampling,
            "eos_token_id": end_ids, "pad_token_id": end_ids[-1] if end_ids else None,
        }
        if stop:
            args.update(stop_strings=list(stop), tokenizer=tokenizer)
        if sampling:
            args.update(temperature=self.temperature, top_p=self.top_p)
        else:  # greedy: clear sampling defaults a checkpoint's generation_config may carry
            args.update(temperature=None, top_p=None, top_k=None)
        torch.manual_seed(self.seed)
        return args, n_prompt

    def _finish(self, new_ids: list[int], max_new_tokens: int) -> Generation:
        tokenizer = self.tokenizer
        end_ids = {tokenizer.convert_tokens_to_ids(t) for t in _END_TOKENS}
        stopped = bool(new_ids) and new_ids[-1] in end_ids
        text = tokenizer.decode(new_ids, skip_special_tokens=True)
        if not isinstance(text, str):
            raise TypeError(f"tokenizer.decode returned {type(text).__name__}, not str")
        reason: Literal["stop", "length"] = (
            "length" if not stopped and len(new_ids) >= max_new_tokens else "stop")
        return Generation(text=text, output_tokens=len(new_ids), finish_reason=reason)

    def _generate_text(self, prompt: RenderedPrompt,
                       stop: list[str] | None) -> tuple[Generation, int]:
        """Run ``generate`` once; return the new text and the prompt's token count."""
        import torch

        args, n_prompt = self._prepare(prompt, stop)
        runner: Any = self._load()[1]  # generate() is not typed on PreTrainedModel
        with torch.inference_mode():
            out = runner.generate(**args)
        new_ids = [int(i) for i in out[0, n_prompt:].tolist()]
        return self._finish(new_ids, prompt.max_new_tokens), n_prompt

    def _stream_text(self, prompt: RenderedPrompt,
                     stop: list[str] | None) -> Iterator[str | _WithPrompt]:
        """Yield text pieces as ``generate`` produces them, then the finished generation.

        ``generate`` runs in a worker thread feeding a ``TextIteratorStreamer``; closing
        this iterator early stops the generation at the next token.
        """
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        args, n_prompt = self._prepare(prompt, stop)
        tokenizer, model = self._load()
        runner: Any = model
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()

        class _Cancel(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> bool:
                return cancel.is_set()

        result: dict[str, Any] = {}

        def _run() -> None:
            try:
                with torch.inference_mode():
                    result["out"] = runner.generate(
                        **args, streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([_Cancel()]))
            except BaseException as exc:  # re-raised in the caller's thread
                result["error"] = exc
                streamer.end()  # type: ignore[no-untyped-call]

        worker = threading.Thread(target=_run, name="qwen-generate", daemon=True)
        worker.start()
        try:
            yield from streamer
        finally:
            cancel.set()
            worker.join()
        if "error" in result:
            raise result["error"]
        new_ids = [int(i) for i in result["out"][0, n_prompt:].tolist()]
        yield _WithPrompt(self._finish(new_ids, prompt.max_new_tokens), n_prompt)

    # ------------------------------------------------------------------ LangChain API
    def _response_metadata(self, gen: Generation) -> dict[str, Any]:
        return {"model_name": Path(self.model_path).name, "finish_reason": gen.finish_reason}

    @staticmethod
    def _usage(n_prompt: int, gen: Generation) -> UsageMetadata:
        return UsageMetadata(input_tokens=n_prompt, output_tokens=gen.output_tokens,
                             total_tokens=n_prompt + gen.output_tokens)

    @staticmethod
    def _parse(full_text: str, stop: list[str] | None) -> tuple[str | None, ParsedToolCalls]:
        if stop:
            cuts = [full_text.find(s) for s in stop if s and s in full_text]
            if cuts:
                full_text = full_text[:min(cuts)]
        thinking, visible = split_thinking(full_text)
        return thinking, parse_tool_calls(visible)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = self.render_prompt(messages, **kwargs)
        gen, n_prompt = self._generate_text(prompt, stop)
        thinking, parsed = self._parse(prompt.prefill + gen.text, stop)
        message = AIMessage(
            content=parsed.content,
            tool_calls=[tool_call(name=c.name, args=c.arguments, id=c.id) for c in parsed.calls],
            invalid_tool_calls=[invalid_tool_call(name=b.name, args=b.raw, id=b.id,
                                                  error=b.error) for b in parsed.invalid],
            additional_kwargs={"reasoning_content": thinking} if thinking else {},
            usage_metadata=self._usage(n_prompt, gen),
            response_metadata=self._response_metadata(gen),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        prompt = self.render_prompt(messages, **kwargs)
        splitter = _StreamSplitter(thinking=prompt.prefill == THINK_OPEN + "\n")
        if prompt.prefill.startswith(TOOL_CALL_OPEN):
            yield from self._emit(splitter.feed(prompt.prefill), run_manager)
        text, fed, stopped = "", 0, False
        done: _WithPrompt | None = None
        for item in self._stream_text(prompt, stop):
            if isinstance(item, _WithPrompt):
                done = item
                continue
            if stopped:  # generate ends by itself on a stop string; drain the rest
                continue
            text += item
            cuts = [text.find(s) for s in stop or [] if s and s in text]
            end = min(cuts) if cuts else len(text)
            stopped = bool(cuts)
            yield from self._emit(splitter.feed(text[fed:end]), run_manager)
            fed = end
        yield from self._emit(splitter.feed("", final=True), run_manager)
        if done is None:
            raise RuntimeError("the generation thread ended without a result")
        _, parsed = self._parse(prompt.prefill + text, stop)
        chunks = [tool_call_chunk(name=c.name, args=json.dumps(c.arguments), id=c.id, index=i)
                  for i, c in enumerate(parsed.calls)]
        chunks += [tool_call_chunk(name=b.name, args=_stream_invalid_args(b.raw), id=b.id,
                                   index=len(parsed.calls) + i)
                   for i, b in enumerate(parsed.invalid)]
        errors = {b.id: b.error for b in parsed.invalid}
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", tool_call_chunks=chunks,
            additional_kwargs={"invalid_tool_call_errors": errors} if errors else {},
            usage_metadata=self._usage(done.prompt_tokens, done.generation),
            response_metadata=self._response_metadata(done.generation),
            chunk_position="last"))

    @staticmethod
    def _emit(pieces: list[tuple[str, str]],
              run_manager: CallbackManagerForLLMRun | None) -> Iterator[ChatGenerationChunk]:
        for channel, piece in pieces:
            if channel == "think":
                msg = AIMessageChunk(content="", additional_kwargs={"reasoning_content": piece})
            else:
                msg = AIMessageChunk(content=piece)
            chunk = ChatGenerationChunk(message=msg)
            if run_manager and channel == "text":
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


@dataclass(frozen=True)
class _WithPrompt:
    """A finished generation together with the prompt's token count."""

    generation: Generation
    prompt_tokens: int
