"""The cause catalogue: the one place every cause id of DESIGN.md is described.

The diagnosis, `GET /api/causes`, the extension and docs/causes.md all read this table, so a
cause's title or its fixes change here and nowhere else. Run `python -m companion.diagnosis.catalogue` to
print docs/causes.md (`> docs/causes.md` to regenerate it; a test checks they agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, get_args

from companion.diagnosis.models import FixId

__all__ = [
    "CAUSES",
    "CAUSE_IDS",
    "FIX_IDS",
    "Cause",
    "FixSpec",
    "catalogue_json",
    "get_cause",
    "render_markdown",
]

FIX_IDS: tuple[str, ...] = get_args(FixId)

_FIX_TITLES: Mapping[str, str] = {
    "clear_cookies": "Clear this site's cookies",
    "clear_site_data": "Clear all of this site's data (cookies, cache, storage)",
    "reload": "Reload the page, bypassing the cache",
    "open_private_window": "Try again in a private window",
    "open_login": "Open the site's login page",
    "open_https": "Open the https version of this page",
    "copy_report": "Copy a report for the site's support",
    "manual": "Steps to try",
}


@dataclass(frozen=True, slots=True)
class FixSpec:
    id: str
    title: str
    one_click: bool = True
    steps: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "one_click": self.one_click, "steps": list(self.steps)}


@dataclass(frozen=True, slots=True)
class Cause:
    id: str
    title: str
    explanation: str
    recognised_by: tuple[str, ...]
    what_to_do: tuple[str, ...]
    fixes: tuple[FixSpec, ...]
    """Ordered by what most likely works."""
    developer_notes: tuple[str, ...] = ()
    """"For the site's developers": non-empty exactly where the fault is server-side."""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "explanation": self.explanation,
            "recognised_by": list(self.recognised_by),
            "what_to_do": list(self.what_to_do),
            "fixes": [fix.as_json() for fix in self.fixes],
            "developer_notes": list(self.developer_notes),
        }


def _cause(
    id: str,
    title: str,
    explanation: str,
    recognised_by: tuple[str, ...],
    what_to_do: tuple[str, ...],
    fixes: tuple[str, ...],
    developer_notes: tuple[str, ...] = (),
) -> Cause:
    # The `manual` fix always carries the person's steps, so they are written once.
    specs = tuple(
        FixSpec("manual", _FIX_TITLES["manual"], one_click=False, steps=what_to_do)
        if fix == "manual"
        else FixSpec(fix, _FIX_TITLES[fix])
        for fix in fixes
    )
    return Cause(id, title, explanation, recognised_by, what_to_do, specs, developer_notes)


_CATALOGUE: tuple[Cause, ...] = (
    _cause(
        "missing_credentials",
        "The request carried no credentials",
        "The server wants to know who you are, but the request had no Authorization header, "
        "no cookies for the site and no API key. Usually you are not signed in, or the "
        "sign-in was lost.",
        (
            "No Authorization header, no Cookie header and no API-key header or parameter.",
            "The WWW-Authenticate challenge names the kind of credentials the server wants.",
        ),
        (
            "Sign in to the site and try again.",
            "If you were signed in, check that your browser does not block this site's cookies.",
            "For an API, add the token or key it expects (WWW-Authenticate names the scheme).",
        ),
        ("open_login", "reload", "copy_report", "manual"),
    ),
    _cause(
        "invalid_credentials",
        "The user name or password was rejected",
        "Basic or Digest credentials (or a login form's) were sent and the server did not "
        "accept them: a wrong user name or password, a locked or disabled account, or an "
        "out-of-date password saved in the browser.",
        (
            "Authorization: Basic or Digest on the request (user name and password length shown).",
            "The 401 challenges the same scheme again.",
        ),
        (
            "Check the user name and type the password again (watch Caps Lock and the keyboard layout).",
            "Browsers remember Basic credentials until they close: a private window asks afresh.",
            "If the password is right, ask the site's administrator whether the account is locked.",
        ),
        ("open_private_window", "reload", "copy_report", "manual"),
    ),
    _cause(
        "malformed_authorization",
        "The Authorization header is broken",
        "The request carried an Authorization header the server cannot read: an empty token, "
        'the scheme written twice ("Bearer Bearer …"), a placeholder such as "undefined", '
        'a Basic payload that is not base64 or has no ":", or stray quotes, spaces or line '
        "breaks. The app or tool that builds the header has a bug.",
        ("The shape of the Authorization header, checked without keeping its value.",),
        (
            'If this is your own app or script, send "<Scheme> <credentials>" with one space, '
            "no quotes and no line breaks.",
            'A token of "undefined" or "null" means the app asked before it had a token: '
            "clear the site's data, sign in again and reload.",
        ),
        ("clear_site_data", "reload", "copy_report", "manual"),
        (
            "Send `Authorization: <scheme> <credentials>`: one scheme, one space, no quotes or "
            "surrounding whitespace (RFC 9110 §11.6.2).",
            'Do not send the header before the token exists ("Bearer undefined").',
        ),
    ),
    _cause(
        "scheme_mismatch",
        "The credentials use a scheme the server does not accept",
        "Credentials were sent with one authentication scheme (say Basic) while the server "
        "only offers others (say Bearer), so it treats the request as if nothing was sent.",
        ("The scheme in Authorization against the schemes listed in WWW-Authenticate.",),
        (
            "Use the kind of credentials the server asks for (WWW-Authenticate lists them).",
            "For an API client, check the Authorization prefix (Bearer, Token, Basic …) against "
            "the API's documentation.",
            "If an extension or a proxy adds an Authorization header, turn it off for this site.",
        ),
        ("copy_report", "manual"),
        ("List every scheme you accept in WWW-Authenticate, one challenge each.",),
    ),
    _cause(
        "expired_token",
        "Your access token has expired",
        "The bearer token (often a JWT) that proves who you are has a limited lifetime, and "
        "it is over. Apps normally refresh it silently; when that fails, every request gets "
        "401 until you sign in again.",
        (
            "The token's expiry time (its exp claim) compared with the server's clock, its Date header "
            "(the local clock when Date is missing).",
            "The server's error message or the challenge's error_description saying it expired.",
        ),
        (
            "Reload the page: the app may fetch a new token.",
            "If that does not help, sign out and sign in again.",
            "If it happens right after signing in, check this computer's clock is set automatically.",
        ),
        ("reload", "open_login", "clear_site_data", "copy_report", "manual"),
    ),
    _cause(
        "token_not_yet_valid",
        "The token is not valid yet: clocks disagree",
        'The token\'s start time (nbf, "not before", or iat, "issued at") lies in the future '
        "for the server checking it: the issuer's clock runs ahead of the server's, or the "
        "server's clock is behind.",
        (
            "The token's start and issue times (its nbf and iat claims) compared with the server's clock, its Date header.",
            "The local clock compared with the server's Date header.",
        ),
        (
            "Wait a minute and reload: once the server's clock passes the start time the token works.",
            "Check this computer's date, time and time zone are set automatically.",
            "If it keeps happening, tell the site: its servers' clocks are out of step.",
        ),
        ("reload", "copy_report", "manual"),
        (
            "Keep the token issuer and every API server on NTP.",
            "Allow a small leeway (30 to 60 seconds) when checking nbf and iat.",
        ),
    ),
    _cause(
        "invalid_token",
        "The server does not accept this token",
        "A token was sent and refused for a reason other than its age: it was revoked (after "
        "signing out elsewhere or a password change), signed with another key, made for "
        "another service or tenant, or damaged.",
        (
            'WWW-Authenticate: Bearer error="invalid_token" (RFC 6750) that does not say the token expired.',
            "The server's error code and message.",
        ),
        (
            "Sign out and sign in again to get a fresh token.",
            "If you copied the token by hand, copy it again, completely.",
            "Check the token was made for this site or API (test or live, the right tenant).",
        ),
        ("open_login", "clear_site_data", "copy_report", "manual"),
    ),
    _cause(
        "insufficient_scope",
        "The token lacks the permission this request needs",
        "The token is valid but was granted without the scope this resource requires. "
        "RFC 6750 says that should be a 403; this server sent 401.",
        ('WWW-Authenticate: Bearer error="insufficient_scope" and its scope parameter.',),
        (
            "Sign in again and accept the extra permission if the site asks for it.",
            "For an API client, request a token with the scope named in the challenge.",
            "Ask the administrator to grant your account that permission.",
        ),
        ("open_login", "copy_report", "manual"),
        ("Answer insufficient_scope with 403 and name the scope needed (RFC 6750 §3.1).",),
    ),
    _cause(
        "step_up_required",
        "The site wants you to confirm your identity again",
        "You are signed in, but this action needs a stronger or more recent sign-in, such as "
        "a second factor or typing your password again (RFC 9470 step-up authentication).",
        (
            'WWW-Authenticate: Bearer error="insufficient_user_authentication".',
            "acr_values (how strong a sign-in, such as a second factor) and max_age (how recent) in the challenge.",
            "A server message asking for MFA or two-factor authentication.",
        ),
        (
            "Open the site's login page and sign in again, completing the second factor.",
            "If no prompt appears, sign out and sign in again.",
        ),
        ("open_login", "copy_report", "manual"),
    ),
    _cause(
        "expired_session",
        "Your session has ended",
        "The site's session cookies were sent, but the server no longer accepts them: the "
        "session timed out, you signed out elsewhere, or the server forgot it. Often the "
        "server deletes the cookies in the same answer.",
        (
            "Session cookies in the Cookie header.",
            "Set-Cookie in the 401 that deletes them (Max-Age=0 or an expiry in the past).",
            "The server's message saying the session expired.",
        ),
        ("Sign in again.", "If signing in does not stick, clear the site's cookies and sign in afresh."),
        ("open_login", "clear_cookies", "reload", "copy_report", "manual"),
    ),
    _cause(
        "conflicting_cookies",
        "Conflicting or oversized cookies",
        "The browser sent two cookies with the same name (set for example.com and for "
        "www.example.com, or for two paths) and the server read the wrong one; or the Cookie "
        "header is so large that the server drops it.",
        (
            "The same cookie name twice in the Cookie header.",
            "A Cookie header over about 8 KB, or more than one Cookie header.",
        ),
        (
            "Clear the site's cookies, for all its subdomains, then sign in again.",
            "If that helps only for a while, tell the site: it sets the cookie twice.",
        ),
        ("clear_cookies", "clear_site_data", "open_private_window", "copy_report", "manual"),
        (
            "Set a session cookie for one Domain and Path only; when moving it, delete the old one explicitly.",
            "Keep all cookies together well under 8 KB; many servers refuse larger headers.",
        ),
    ),
    _cause(
        "cookie_not_sent",
        "The browser did not send the site's cookie",
        "The site set a cookie earlier that is still valid, but the browser left it off this "
        "request: SameSite forbids it on a cross-site request, its Domain or Path does not "
        "cover this URL, or third-party cookies are blocked.",
        (
            "The cookies the site set earlier (names and attributes) against the Cookie header.",
            "Sec-Fetch-Site and Sec-Fetch-Mode: was the request cross-site, and of which kind?",
            "The Domain and Path of the earlier Set-Cookie.",
        ),
        (
            "Open the site in its own tab (not embedded in another site) and sign in there.",
            "If your browser blocks third-party cookies, allow them for this site.",
            "Clear the site's cookies and sign in again so they are set afresh.",
        ),
        ("open_login", "clear_cookies", "copy_report", "manual"),
        (
            "A cookie that must travel cross-site needs SameSite=None; Secure (and Partitioned "
            "when the site is embedded).",
            "Check that Domain and Path cover every URL that needs the cookie.",
        ),
    ),
    _cause(
        "cors_preflight_rejected",
        "The server demands sign-in on the CORS preflight",
        "Before some cross-origin requests the browser asks permission with an OPTIONS "
        '"preflight". Browsers never put credentials on a preflight, so a server that demands '
        "them there always refuses, and the real request is never sent. This is the site's "
        "bug: nothing in your browser fixes it.",
        ("Method OPTIONS with an Access-Control-Request-Method header, answered 401.",),
        (
            "Report it to the site with the copied report.",
            "Meanwhile, use the service from its own web address if it has one.",
        ),
        ("copy_report", "manual"),
        (
            "Answer preflights without authentication: 204 with Access-Control-Allow-Origin, "
            "-Methods and -Headers (and -Credentials when needed).",
            "Exempt OPTIONS from the authentication middleware: per the Fetch standard a "
            "preflight never carries credentials.",
        ),
    ),
    _cause(
        "credentials_not_included",
        "The page's request left the cookies off",
        "A page on another origin called this site with fetch or XHR without asking for "
        "credentials (fetch sends cookies only to its own origin unless told otherwise), so "
        "no cookies went along although the site's cookies would have been allowed.",
        (
            "Sec-Fetch-Mode: cors and Sec-Fetch-Site: cross-site or same-site, with the calling page's Origin.",
            "No Cookie header although the site set cookies this request could carry "
            "(SameSite=None; Secure for a cross-site call).",
        ),
        (
            "Report it to the calling page's developers with the copied report.",
            "If your browser blocks third-party cookies, that has the same effect: allow them for this site.",
        ),
        ("copy_report", "reload", "manual"),
        (
            'Call with fetch(url, {credentials: "include"}) or xhr.withCredentials = true.',
            "Answer with Access-Control-Allow-Credentials: true and an explicit Access-Control-Allow-Origin (not *).",
        ),
    ),
    _cause(
        "invalid_api_key",
        "The API key was rejected",
        "An API key was sent (in a header such as X-API-Key, or in the URL) and the server "
        "refused it: wrong, revoked, expired, or meant for another project or environment.",
        ("An API-key header or query parameter and no Authorization header.", "The server's error code and message."),
        (
            "Check the key is the current one for this environment (test or live).",
            "Send it in the header or parameter the API documents.",
            "Create a new key if the old one was revoked.",
        ),
        ("copy_report", "manual"),
    ),
    _cause(
        "ip_blocked",
        "The server refuses your network or location",
        "The server rejects requests from your IP address, network, VPN or region, whatever credentials you send.",
        ("The server's message mentions the IP address, network, VPN, country or region.",),
        (
            "Turn off a VPN or proxy, or try another network.",
            "If you need access from this network, ask the site's administrator to allow it.",
        ),
        ("copy_report", "manual"),
        ("Answer network blocks with 403: no credentials can fix them, so 401 misleads.",),
    ),
    _cause(
        "missing_challenge",
        "The server answered 401 without saying how to sign in",
        "A 401 must name how to authenticate in a WWW-Authenticate header (RFC 9110 "
        "§15.5.2). This one did not, so browsers and apps cannot react properly. It is a "
        "server misconfiguration; the reason for the refusal may be something else.",
        ("Status 401 and no WWW-Authenticate header.",),
        ("Sign in to the site again.", "If it still fails, send the copied report to the site's support."),
        ("open_login", "reload", "copy_report", "manual"),
        (
            "Send WWW-Authenticate with every 401 (RFC 9110 §15.5.2), e.g. `Bearer "
            'realm="api"`; a cookie-session site may name its own scheme.',
            "If no HTTP authentication scheme applies, answer 403 or redirect to the login page.",
        ),
    ),
    _cause(
        "digest_stale_nonce",
        "The Digest sign-in used an outdated nonce",
        "Digest authentication signs each request with a server-issued nonce. This request "
        "used one the server now considers stale; stale=true says the password itself was "
        "right and the client should simply retry with the new nonce.",
        ("WWW-Authenticate: Digest with stale=true.", "Authorization: Digest on the request."),
        (
            "Reload the page: the browser retries with the new nonce.",
            "If it repeats, the client ignores stale=true or the server's nonces expire too fast.",
        ),
        ("reload", "copy_report", "manual"),
    ),
    _cause(
        "negotiate_failed",
        "Windows sign-in (Negotiate, Kerberos or NTLM) did not complete",
        "The server uses integrated Windows sign-in. The browser did not try (the site is not "
        "on its list of trusted sites, or this computer is not in the domain), or the exchange "
        "of tokens failed.",
        ("WWW-Authenticate: Negotiate or NTLM.", "Authorization: Negotiate or NTLM on the request, or none at all."),
        (
            "Check you are on the company network or VPN and have a Kerberos ticket (klist).",
            "Add the site to the browser's list for integrated sign-in (Chrome: the "
            "AuthServerAllowlist policy; Firefox: network.negotiate-auth.trusted-uris).",
            "Use the site's full host name, not an IP address or alias: tickets are per name.",
        ),
        ("copy_report", "manual"),
    ),
    _cause(
        "proxy_auth_required",
        "A proxy between you and the site wants you to sign in",
        "The 407 came from a proxy (a company proxy or gateway), not from the site. The "
        "proxy needs its own credentials before it forwards anything.",
        ("Status 407.", "Proxy-Authenticate on the response; Proxy-Authorization on the request, if any."),
        (
            "Enter your proxy (usually company) user name and password when the browser asks.",
            "If no prompt appears, check the proxy settings of your system or browser.",
            "Ask your IT department which credentials the proxy expects.",
        ),
        ("reload", "copy_report", "manual"),
    ),
    _cause(
        "auth_loop",
        "The same request keeps getting 401",
        "The same request was refused again and again within a minute: an app's token "
        "refresh or login redirect is going round in a loop. This is a symptom; the main "
        "cause says why.",
        (
            "How many 401s the same method and URL got within the last minute, and how many "
            "carried the same credential.",
        ),
        (
            "Stop the loop: clear the site's data, then sign in again.",
            "If it starts again at once, try a private window and send the copied report.",
        ),
        ("clear_site_data", "open_private_window", "copy_report", "manual"),
        ("Retry at most once after refreshing a token; then stop and ask the person to sign in.",),
    ),
    _cause(
        "credentials_stripped",
        "Your credentials were lost on the way to the server",
        "The request left the browser with credentials, but the server answers that none "
        "arrived. Something between them dropped the header: a reverse proxy, CDN or load "
        "balancer that does not forward it, or a server module that keeps it from the "
        "application (Apache's mod_wsgi does so unless told otherwise).",
        (
            "Credentials on the request as it left the browser (Authorization or an API-key header).",
            "The server's words that no credentials were provided, with a challenge (if any) for "
            "the very scheme that was sent.",
        ),
        (
            "Nothing on your side will fix it: the credentials are right there on the request.",
            "Send the copied report to the site's support or developers: the fault is on the server's side.",
            "If you run a proxy, VPN or security tool that rewrites requests, try without it.",
        ),
        ("copy_report", "manual"),
        (
            "Forward the Authorization header to the application: Apache mod_wsgi needs "
            "`WSGIPassAuthorization On`; PHP under FastCGI needs `CGIPassAuth On` or a rewrite "
            "into HTTP_AUTHORIZATION; check that load balancers and CDNs pass the header through.",
            "Log the headers that reach the application (names only) to see which hop drops it.",
        ),
    ),
    _cause(
        "redirect_dropped_credentials",
        "A redirect lost your credentials",
        "The first request carried credentials and was redirected (from http to https, to "
        "another host, or to add a trailing slash); the request to the new address went "
        "without them. Browsers and HTTP clients drop the Authorization header when a "
        "redirect leaves the origin, so the server then sees no credentials.",
        (
            "A 3xx answer, seen by the proxy, to a request that carried credentials.",
            "The follow-up request to the Location it named, without those credentials.",
        ),
        (
            "Use the final address (https, the right host, the trailing slash) directly, in "
            "your bookmark, app or script.",
            "In scripts, call the final URL, or re-send the credentials after following the redirect yourself.",
        ),
        ("open_https", "copy_report", "manual"),
        (
            "Link and configure clients to the canonical URL so that no redirect stands before "
            "authenticated calls; do not redirect API calls between hosts.",
        ),
    ),
    _cause(
        "insecure_transport",
        "Plain http is breaking the sign-in",
        "The page was loaded over http, not https. Cookies marked Secure are never sent over "
        "http (and browsers refuse to store them from http), and some sites accept "
        "credentials only over https.",
        (
            "The request's scheme is http.",
            "A Secure cookie the site set earlier that this request did not carry, or one set over http.",
            "A challenge or server message saying https is required.",
        ),
        ("Open the https version of the page.", "Update bookmarks or links that point to http://."),
        ("open_https", "copy_report", "manual"),
        ("Redirect http to https and send Strict-Transport-Security.",),
    ),
    _cause(
        "unknown",
        "It is unclear why the server refused the request",
        "Nothing in this exchange shows clearly why the server answered 401. The checklist "
        "covers the usual causes, most likely first.",
        ("None of the other causes' signs were found, or they contradict each other.",),
        (
            "Reload the page.",
            "Sign out and sign in again.",
            "Try a private window: if it works there, clear this site's cookies and data.",
            "Check this computer's clock is set automatically.",
            "Turn off VPNs and extensions that change requests.",
            "If it still fails, send the copied report to the site's support.",
        ),
        ("reload", "open_login", "open_private_window", "clear_site_data", "copy_report", "manual"),
    ),
)

CAUSES: Mapping[str, Cause] = MappingProxyType({cause.id: cause for cause in _CATALOGUE})
CAUSE_IDS: tuple[str, ...] = tuple(CAUSES)


def get_cause(cause_id: str) -> Cause:
    """The catalogue entry for `cause_id`; `unknown` for an id this version does not know."""
    return CAUSES.get(cause_id, CAUSES["unknown"])


def catalogue_json() -> list[dict[str, Any]]:
    """The body of `GET /api/causes`: every cause, in catalogue order."""
    return [cause.as_json() for cause in CAUSES.values()]


def _render_cause(cause: Cause) -> list[str]:
    # An explicit anchor keeps links stable when a title is reworded.
    lines = [
        f'<a id="{cause.id}"></a>',
        "",
        f"## `{cause.id}`: {cause.title}",
        "",
        cause.explanation,
        "",
        "**How it is recognised**",
        "",
    ]
    lines += [f"- {fact}" for fact in cause.recognised_by]
    lines += ["", "**What to do**", ""]
    lines += [f"{n}. {step}" for n, step in enumerate(cause.what_to_do, 1)]
    lines += ["", "**Fixes in the extension**, most likely first:", ""]
    lines += [f"- `{fix.id}`: {fix.title}" + ("" if fix.one_click else " (shown as text)") for fix in cause.fixes]
    if cause.developer_notes:
        lines += ["", "**For the site's developers**", ""]
        lines += [f"- {note}" for note in cause.developer_notes]
    return [*lines, ""]


def render_markdown() -> str:
    """docs/causes.md: for people, per cause, what it means, how it is recognised, what to do."""
    lines = [
        "# Why did I get a 401? The cause catalogue",
        "",
        "<!-- Generated by `python -m companion.diagnosis.catalogue` from companion/diagnosis/catalogue.py. Do not edit. -->",
        "",
        "401 Companion names one main cause for every `401 Unauthorized` or "
        "`407 Proxy Authentication Required` it sees, and lists any others that also hold. "
        "These are all the causes it knows, with what you can do about each.",
        "",
    ]
    lines += [f"- [`{c.id}`](#{c.id}): {c.title}" for c in CAUSES.values()]
    lines.append("")
    for cause in CAUSES.values():
        lines += _render_cause(cause)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
