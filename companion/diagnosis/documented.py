"""What well-known APIs document about their own credentials, where the wire cannot tell.

A 401 from `api.mistral.ai` to `Authorization: Bearer <opaque>` does not say whether that was
a token or an API key; Mistral's documentation does (an API key, sent as Bearer). Some servers
also accept more than their challenge offers: the Kubernetes API server challenges `Basic`
and takes bearer tokens; Atlassian Cloud challenges `OAuth` and takes Basic with an API
token. Each entry names the documentation it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ApiForm", "form_of"]


@dataclass(frozen=True, slots=True)
class ApiForm:
    name: str
    """The API, as a person calls it."""
    bearer_is_api_key: bool = False
    """A secret sent as `Authorization: Bearer` (or Basic) is the account's API key."""
    also_accepts: frozenset[str] = frozenset()
    """Schemes (lower case) the server takes although its challenge names another."""
    bare_token: bool = False
    """The Authorization header carries the token alone, with no scheme."""


_KEY = ApiForm
_FORMS: dict[str, ApiForm] = {
    # https://platform.openai.com/docs/api-reference/authentication
    "api.openai.com": _KEY("OpenAI", bearer_is_api_key=True),
    # https://docs.anthropic.com/en/api/overview (x-api-key; Bearer only for OAuth tokens)
    "api.anthropic.com": _KEY("Anthropic", bearer_is_api_key=True),
    # https://docs.mistral.ai/api/ (Authorization: Bearer <API key>)
    "api.mistral.ai": _KEY("Mistral", bearer_is_api_key=True),
    "codestral.mistral.ai": _KEY("Mistral Codestral", bearer_is_api_key=True),
    # https://docs.cohere.com/reference/about (Authorization: Bearer <API key>)
    "api.cohere.ai": _KEY("Cohere", bearer_is_api_key=True),
    "api.cohere.com": _KEY("Cohere", bearer_is_api_key=True),
    # https://console.groq.com/docs/api-reference, https://docs.together.ai/reference,
    # https://docs.perplexity.ai/api-reference, https://docs.x.ai/docs/api-reference,
    # https://openrouter.ai/docs/api-reference/authentication, https://api-docs.deepseek.com/
    "api.groq.com": _KEY("Groq", bearer_is_api_key=True),
    "api.together.xyz": _KEY("Together AI", bearer_is_api_key=True),
    "api.perplexity.ai": _KEY("Perplexity", bearer_is_api_key=True),
    "api.x.ai": _KEY("xAI", bearer_is_api_key=True),
    "openrouter.ai": _KEY("OpenRouter", bearer_is_api_key=True),
    "api.deepseek.com": _KEY("DeepSeek", bearer_is_api_key=True),
    # https://huggingface.co/docs/hub/security-tokens (user access tokens used as API keys)
    "huggingface.co": _KEY("Hugging Face", bearer_is_api_key=True),
    "api-inference.huggingface.co": _KEY("Hugging Face Inference", bearer_is_api_key=True),
    "router.huggingface.co": _KEY("Hugging Face Inference", bearer_is_api_key=True),
    # https://ai.google.dev/gemini-api/docs/api-key
    "generativelanguage.googleapis.com": _KEY("Gemini API", bearer_is_api_key=True),
    # https://docs.stripe.com/api/authentication (secret key as Bearer or Basic user)
    "api.stripe.com": _KEY("Stripe", bearer_is_api_key=True),
    # https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication
    "api.sendgrid.com": _KEY("SendGrid", bearer_is_api_key=True),
    # https://documentation.mailgun.com/docs/mailgun/api-reference/authentication (Basic api:<key>)
    "api.mailgun.net": _KEY("Mailgun", bearer_is_api_key=True),
    "api.eu.mailgun.net": _KEY("Mailgun", bearer_is_api_key=True),
    # https://airtable.com/developers/web/api/authentication (personal access tokens, formerly API keys)
    "api.airtable.com": _KEY("Airtable", bearer_is_api_key=True),
    # https://developers.notion.com/reference/authentication (integration secret as Bearer)
    "api.notion.com": _KEY("Notion", bearer_is_api_key=True),
    # https://discord.com/developers/docs/reference#authentication (Authorization: Bot <token>)
    "discord.com": _KEY("Discord", bearer_is_api_key=True),
    # https://core.telegram.org/bots/api#authorizing-your-bot (the bot token in the path)
    "api.telegram.org": _KEY("Telegram Bot API", bearer_is_api_key=True),
    # https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
    "atlassian.net": ApiForm("Atlassian Cloud", also_accepts=frozenset({"basic", "bearer"})),
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html
    # (the identity token itself in the Authorization header)
    "execute-api.amazonaws.com": ApiForm("Amazon API Gateway", bare_token=True),
}
# Realms that name a server whatever its host: the Kubernetes API server challenges Basic and
# authenticates bearer tokens first (https://kubernetes.io/docs/reference/access-authn-authz/authentication/).
_REALMS: dict[str, ApiForm] = {
    "kubernetes-master": ApiForm("Kubernetes API server", also_accepts=frozenset({"bearer"})),
}


def form_of(host: str, realms: tuple[str, ...] = ()) -> ApiForm | None:
    """The documented form of the API at `host` (or a parent domain, or a regional
    `execute-api.<region>.amazonaws.com`), or of the server that named one of `realms`."""
    for realm in realms:
        if realm in _REALMS:
            return _REALMS[realm]
    labels = host.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in _FORMS:
            return _FORMS[candidate]
    if len(labels) >= 5 and labels[-4] == "execute-api" and labels[-2:] == ["amazonaws", "com"]:
        return _FORMS["execute-api.amazonaws.com"]
    return None
