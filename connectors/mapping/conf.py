"""Settings of the mapping app, read from the environment through ekyam.env (documented in .env.example).

Read on each use (cheap) so a process picks up the configuration it was started with and tests can
set the variables per test."""

from __future__ import annotations

from dataclasses import dataclass

from ekyam.env import env_float, env_str, env_url


@dataclass(frozen=True)
class LlmSettings:
    base_url: str
    model: str
    api_key: str
    timeout: float


def llm_settings() -> LlmSettings | None:
    """The optional language model for re-ranking suggestions; None when not configured."""
    base_url = env_url("EKYAM_MAPPING_LLM_BASE_URL", None, schemes=("http", "https"))
    if not base_url:
        return None
    return LlmSettings(
        base_url=base_url,
        model=env_str("EKYAM_MAPPING_LLM_MODEL", "gpt-4o-mini"),
        api_key=env_str("EKYAM_MAPPING_LLM_API_KEY", ""),
        timeout=env_float("EKYAM_MAPPING_LLM_TIMEOUT", 8.0),
    )
