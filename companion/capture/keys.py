"""What a secret's public prefix says about it: an API key, or a token.

Vendors put a fixed prefix in front of their secrets and document it, so that scanners can
find leaked ones (`sk-proj-` at OpenAI, `sk_live_` at Stripe, `ghp_` at GitHub …). The prefix
is not secret; it is kept, and it tells the diagnosis what was refused: a rejected API key is
`invalid_api_key` wherever it travelled, a rejected token `invalid_token`.
"""

from __future__ import annotations

import re

__all__ = ["KeyKind", "key_prefix"]

KeyKind = str
"""`api_key` (a long-lived key of an account or project) or `token` (an access token)."""

# (prefix, kind), the longest of overlapping prefixes first. Each is the vendor's documented
# form: a key's own name in its API reference or secret-scanning documentation.
_PREFIXES: tuple[tuple[str, KeyKind], ...] = (
    ("sk-ant-oat", "token"),  # Anthropic OAuth access token
    ("sk-ant-", "api_key"),  # Anthropic API key (sk-ant-api03-…)
    ("sk-proj-", "api_key"), ("sk-svcacct-", "api_key"), ("sk-admin-", "api_key"),  # OpenAI
    ("sk-or-", "api_key"),  # OpenRouter
    ("sk_live_", "api_key"), ("sk_test_", "api_key"), ("rk_live_", "api_key"), ("rk_test_", "api_key"),
    ("pk_live_", "api_key"), ("pk_test_", "api_key"),  # Stripe secret, restricted, publishable
    ("sk-", "api_key"),  # OpenAI's older keys, DeepSeek, and others that copied the form
    ("hf_", "api_key"),  # Hugging Face
    ("AIza", "api_key"),  # Google API keys
    ("SG.", "api_key"),  # SendGrid
    ("key-", "api_key"),  # Mailgun
    ("secret_", "api_key"), ("ntn_", "api_key"),  # Notion integrations
    ("sb_secret_", "api_key"), ("sb_publishable_", "api_key"),  # Supabase
    ("glc_", "api_key"), ("glsa_", "token"),  # Grafana Cloud key, service account token
    ("lin_api_", "api_key"),  # Linear
    ("PMAK-", "api_key"),  # Postman
    ("r8_", "api_key"), ("gsk_", "api_key"), ("pplx-", "api_key"), ("xai-", "api_key"), ("fw_", "api_key"),
    ("AKIA", "api_key"),  # AWS access key id
    ("ASIA", "token"),  # AWS temporary (STS) access key id
    ("shpat_", "token"), ("shpca_", "token"), ("shppa_", "token"), ("shpss_", "api_key"),  # Shopify
    ("github_pat_", "token"), ("ghp_", "token"), ("gho_", "token"), ("ghu_", "token"), ("ghs_", "token"), ("ghr_", "token"),
    ("glpat-", "token"), ("gloas-", "token"),  # GitLab
    ("xoxb-", "token"), ("xoxp-", "token"), ("xoxe-", "token"), ("xapp-", "token"),  # Slack
    ("npm_", "token"), ("pypi-", "token"), ("dckr_pat_", "token"),  # registries
    ("dop_v1_", "token"), ("doo_v1_", "token"),  # DigitalOcean
    ("HRKU-", "token"),  # Heroku
)  # fmt: skip
# Telegram bots put their token in the URL path: /bot<id>:<secret>/getMe.
_SPACE = re.compile(r"\s")
_TELEGRAM = re.compile(r"bot\d{5,}:[A-Za-z0-9_-]{30,}")


_ANY_PREFIX = tuple(prefix for prefix, _ in _PREFIXES)
"""All at once, for the test every URL path segment and credential meets (one call, not sixty)."""


def key_prefix(secret: str) -> tuple[str, KeyKind] | None:
    """The documented prefix of `secret` and what kind of secret it marks, or None. Only a
    prefix followed by more characters counts: a bare `sk-` is no key."""
    if secret.startswith(_ANY_PREFIX) and not _SPACE.search(secret):  # a key is one word
        for prefix, kind in _PREFIXES:
            if secret.startswith(prefix) and len(secret) > len(prefix) + 8:
                return prefix, kind
    if secret.startswith("bot") and _TELEGRAM.fullmatch(secret):
        return "bot", "api_key"
    return None
