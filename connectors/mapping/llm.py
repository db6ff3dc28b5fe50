"""Optional language-model re-ranking of suggestions through an OpenAI-compatible chat-completions API.

Configured by environment (see conf.py). The model sees the standard's fields, the source fields
with a few samples, and the offline candidates; it answers JSON {"<target>": ["<source>", ...]}.
Its answer is parsed defensively and checked: unknown fields are dropped, and a pick the offline
scorer finds impossible (wrong list level, contradicting samples or type) is ignored. Any failure —
timeout, HTTP error, non-JSON, wrong shape — falls back to the offline ranking.
"""

from __future__ import annotations

import json
import logging
import re

from connectors.mapping import conf
from connectors.mapping.features import heuristic, targets_of
from connectors.mapping.ranking import MIN_CONFIDENCE, Candidate
from connectors.mapping.transform_hints import transforms_for
from ekyam.http import HttpClient, RequestException

log = logging.getLogger(__name__)
# The hand-weighted score a model's pick needs: below it the pair contradicts the samples, type or level.
LLM_FLOOR = 0.3
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def _prompt(standard: str, direction: str, ranked: dict, sources: list) -> list[dict]:
    fields = [
        {
            "field": t.path,
            "type": t.kind,
            "description": t.description,
            "offline_candidates": [c.source.path for c in ranked.get(t.path, [])],
        }
        for t in targets_of(standard)
    ]
    source_list = [{"path": s.path, "label": s.label, "type": s.type, "samples": s.samples[:3]} for s in sources]
    instructions = (
        "You map fields of a commerce system onto the Ekyam Data Standard "
        f"'{standard}' ({direction} direction). For each standard field, list up to 3 source field paths, "
        "best first, chosen only from the given source paths. Answer with one JSON object only: "
        '{"<standard field>": ["<source path>", ...], ...}. Omit fields with no good source.'
    )
    body = json.dumps({"standard_fields": fields, "source_fields": source_list}, default=str)
    return [{"role": "system", "content": instructions}, {"role": "user", "content": body}]


def _parse(content: str) -> dict | None:
    if not isinstance(content, str):
        return None
    fenced = _FENCE.search(content)
    text = fenced.group(1) if fenced else content
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    # Accept {"field": [..]} or {"suggestions": {"field": [..]}}.
    if len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = next(iter(data.values()))
    picks = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = [value]
        if isinstance(key, str) and isinstance(value, list):
            picks[key] = [
                v if isinstance(v, str) else (v.get("source") if isinstance(v, dict) else None) for v in value
            ]
            picks[key] = [v for v in picks[key] if isinstance(v, str)][:3]
    return picks


def call_model(messages: list[dict], settings: conf.LlmSettings) -> str | None:
    client = HttpClient(connect_timeout=settings.timeout, read_timeout=settings.timeout, max_retries=0)
    try:
        response = client.post(
            settings.base_url.rstrip("/") + "/chat/completions",
            json={"model": settings.model, "messages": messages, "temperature": 0},
            headers={"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {},
            timeout=(settings.timeout, settings.timeout),
        )
    except RequestException as exc:
        log.warning("mapping suggestions: language model unreachable (%s); using offline ranking", type(exc).__name__)
        return None
    finally:
        client.close()
    if response.status_code != 200:
        log.warning("mapping suggestions: language model answered %s; using offline ranking", response.status_code)
        return None
    try:
        return response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("mapping suggestions: language model answer is not a chat completion; using offline ranking")
        return None


def rerank(standard: str, direction: str, ranked: dict, sources: list, learned: dict):
    """(re-ranked candidates, "llm") or None to keep the offline ranking."""
    settings = conf.llm_settings()
    if settings is None or not sources:
        return None
    content = call_model(_prompt(standard, direction, ranked, sources), settings)
    picks = _parse(content) if content is not None else None
    if not picks:
        if content is not None:
            log.warning("mapping suggestions: could not use the language model's answer; using offline ranking")
        return None
    by_path = {s.path: s for s in sources}
    targets = {t.path: t for t in targets_of(standard)}
    result = {}
    accepted_any = False
    for path, offline in ranked.items():
        chosen = []
        for source_path in picks.get(path, []):
            source = by_path.get(source_path.replace("[]", "[*]"))
            target = targets.get(path)
            if source is None or target is None or any(c.source is source for c in chosen):
                continue
            # Validate against the standard and the samples: the offline scorer must find it possible.
            pair = heuristic(target, source, learned.get((target.path, source.key)))
            if pair is None or pair.heuristic < LLM_FLOOR:
                continue
            reason = "; ".join(["ranked by the language model", *pair.reasons])
            transforms = transforms_for(standard, target, source, sources)
            chosen.append(Candidate(source, max(pair.heuristic, 0.6, MIN_CONFIDENCE), reason, transforms))
        if chosen:
            accepted_any = True
        rest = [c for c in offline if all(c.source is not x.source for x in chosen)]
        result[path] = (chosen + rest)[:3]
    if not accepted_any:
        log.warning("mapping suggestions: the language model named no usable field; using offline ranking")
        return None
    return result, "llm"
