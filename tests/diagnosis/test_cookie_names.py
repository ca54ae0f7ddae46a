"""cookie_names: cookies that carry no credential, told apart from session cookies by name."""

from __future__ import annotations

import pytest

from companion.diagnosis import cookie_names
from companion.diagnosis.cookie_names import (
    CATEGORIES,
    GUARD_EXCEPTIONS,
    NOT_CREDENTIAL,
    SESSION_LIKE,
    classify,
    is_session_like,
)

# Real names, as the vendors' documentation (or a real browser) shows them.
KNOWN = [
    ("_ga", "analytics"),
    ("_ga_8XK2M4PQ1Z", "analytics"),
    ("_gid", "analytics"),
    ("_gat", "analytics"),
    ("_gat_UA-123456-1", "analytics"),
    ("_dc_gtm_UA-123456-1", "analytics"),
    ("__utma", "analytics"),
    ("__utmz", "analytics"),
    ("AMP_TOKEN", "analytics"),
    ("_gcl_au", "advertising"),
    ("_gcl_aw", "advertising"),
    ("_gac_UA-123456-12", "advertising"),
    ("__gads", "advertising"),
    ("__gpi", "advertising"),
    ("NID", "preference"),
    ("_gaexp", "ab_test"),
    ("_fbp", "advertising"),
    ("_fbc", "advertising"),
    ("_hjSession_1234567", "analytics"),
    ("_hjSessionUser_1234567", "analytics"),
    ("_hjid", "analytics"),
    ("_hjAbsoluteSessionInProgress", "analytics"),
    ("_hjIncludedInSessionSample_1234567", "analytics"),
    ("_hjIncludedInPageviewSample", "analytics"),
    ("_hjCachedUserAttributes", "analytics"),
    ("_clck", "analytics"),
    ("_clsk", "analytics"),
    ("CLID", "analytics"),
    ("MUID", "advertising"),
    ("_uetsid", "advertising"),
    ("_uetvid", "advertising"),
    ("li_sugr", "advertising"),
    ("bcookie", "advertising"),
    ("lidc", "security"),
    ("UserMatchHistory", "advertising"),
    ("AnalyticsSyncHistory", "analytics"),
    ("ajs_anonymous_id", "analytics"),
    ("ajs_user_id", "analytics"),
    ("AMP_a2dbce0e18", "analytics"),
    ("AMP_MKTG_a2dbce0e18", "analytics"),
    ("amp_a2dbce", "analytics"),
    ("mp_0123456789abcdef0123456789abcdef_mixpanel", "analytics"),
    ("_hp2_id.2981538394", "analytics"),
    ("_hp2_ses_props.2981538394", "analytics"),
    ("_pk_id.1.1fff", "analytics"),
    ("_pk_ses.1.1fff", "analytics"),
    ("mtm_consent", "consent"),
    ("_ym_uid", "analytics"),
    ("_ym_d", "analytics"),
    ("__hstc", "analytics"),
    ("hubspotutk", "analytics"),
    ("__hssc", "analytics"),
    ("__hssrc", "analytics"),
    ("__hs_opt_out", "consent"),
    ("intercom-id-abc12345", "widget"),
    ("intercom-session-abc12345", "widget"),
    ("intercom-device-id-abc12345", "widget"),
    ("driftt_aid", "widget"),
    ("crisp-client%2Fsession%2F7a70678f-84e0-4a02-84ce-d12b72194c26", "widget"),
    ("__zlcmid", "widget"),
    ("optimizelyEndUserId", "ab_test"),
    ("_vwo_uuid_v2", "ab_test"),
    ("_vis_opt_s", "ab_test"),
    ("_vis_opt_exp_12_combi", "ab_test"),
    ("_vis_opt_out", "consent"),
    ("ABTasty", "ab_test"),
    ("ABTastySession", "ab_test"),
    ("OptanonConsent", "consent"),
    ("OptanonAlertBoxClosed", "consent"),
    ("CookieConsent", "consent"),
    ("didomi_token", "consent"),
    ("euconsent-v2", "consent"),
    ("addtl_consent", "consent"),
    ("notice_behavior", "consent"),
    ("notice_gdpr_prefs", "consent"),
    ("cmplz_marketing", "consent"),
    ("cookieyes-consent", "consent"),
    ("_iub_cs-12345678", "consent"),
    ("uc_user_interaction", "consent"),
    ("cookieconsent_status", "consent"),
    ("osano_consentmanager", "consent"),
    ("__cf_bm", "security"),
    ("cf_clearance", "security"),
    ("__cflb", "security"),
    ("_cfuvid", "security"),
    ("AWSALB", "security"),
    ("AWSALBCORS", "security"),
    ("AWSALBAPP-0", "security"),
    ("ARRAffinity", "security"),
    ("_abck", "security"),
    ("ak_bmsc", "security"),
    ("bm_sv", "security"),
    ("__stripe_mid", "security"),
    ("__stripe_sid", "security"),
    ("_dd_s", "analytics"),
    ("csrftoken", "csrf"),
    ("XSRF-TOKEN", "csrf"),
    ("_csrf", "csrf"),
    ("_xsrf", "csrf"),
    (".AspNetCore.Antiforgery.9TtSrW0hzOs", "csrf"),
    ("__RequestVerificationToken", "csrf"),
    ("__RequestVerificationToken_L2FwcA2", "csrf"),
    ("next-auth.csrf-token", "csrf"),
    ("__Host-next-auth.csrf-token", "csrf"),
    ("__Secure-next-auth.callback-url", "preference"),
    ("NEXT_LOCALE", "preference"),
    ("i18n_redirected", "preference"),
    ("django_language", "preference"),
    ("wp-settings-1", "preference"),
    ("wp-settings-time-1", "preference"),
    ("wordpress_test_cookie", "preference"),
    ("comment_author_0123abcd", "preference"),
    ("theme", "preference"),
    ("lang", "preference"),
    ("locale", "preference"),
    ("tz", "preference"),
    ("currency", "preference"),
]


@pytest.mark.parametrize(("name", "category"), KNOWN, ids=[name for name, _ in KNOWN])
def test_documented_names_have_their_category(name: str, category: str) -> None:
    assert classify(name) == category
    assert not is_session_like(name)


# Generic names are matched whatever their case; vendor names only as the vendor spells them.
CASE = [
    ("Theme", "preference"),
    ("LANG", "preference"),
    ("Color-Scheme", "preference"),
    ("CSRFToken", "csrf"),
    ("xsrf-token", "csrf"),
    ("__Host-theme", "preference"),
    ("__Secure-locale", "preference"),
    ("_GA", None),
    ("optanonconsent", None),
    ("__host-theme", None),
]


@pytest.mark.parametrize(("name", "category"), CASE, ids=[name for name, _ in CASE])
def test_case_rules(name: str, category: str | None) -> None:
    assert classify(name) == category


# Sign-in cookies: never "not a credential", always session-like.
SESSIONS = [
    "sessionid",
    "PHPSESSID",
    "JSESSIONID",
    "ASP.NET_SessionId",
    ".AspNetCore.Cookies",
    ".AspNetCore.CookiesC1",
    ".ASPXAUTH",
    "connect.sid",
    "laravel_session",
    "_myapp_session",
    "rack.session",
    "session",
    "SESSION",
    "koa.sess",
    "next-auth.session-token",
    "__Secure-next-auth.session-token",
    "__Secure-next-auth.session-token.0",
    "authjs.session-token",
    "sb-abc-auth-token",
    "sb-abcdefghij-auth-token.1",
    "KEYCLOAK_IDENTITY",
    "KEYCLOAK_SESSION",
    "AUTH_SESSION_ID",
    "_oauth2_proxy",
    "AWSELBAuthSessionCookie-0",
    "wordpress_logged_in_abc",
    "wordpress_sec_abc",
    "wordpress_0123456789abcdef",
    "SSESS0123456789abcdef",
    "MATOMO_SESSID",
    "appSession",
    "remember_web_59ba36addc2b2f9401580f014c7f58ea4e30989d",
    "sid",
    "token",
    "auth",
    "jwt",
    "access_token",
    "__Host-sid",
]


@pytest.mark.parametrize("name", SESSIONS)
def test_session_cookies_are_never_non_credentials(name: str) -> None:
    assert classify(name) is None
    assert is_session_like(name)


# Neither: unknown names are not called harmless, whatever they look like.
UNKNOWN = ["foo", "user_pref_x", "cart", "_gallery", "amplitude", "ab_group", "__Host-foo", ""]


@pytest.mark.parametrize("name", UNKNOWN)
def test_unknown_names_are_not_classified(name: str) -> None:
    assert classify(name) is None


@pytest.mark.parametrize(
    ("name", "session_like"),
    [("foo", False), ("cart", False), ("user_pref_x", True), ("login_hint", True), ("_uetsid", False), ("sidebar", False)],
)
def test_session_like_is_generous_by_word(name: str, session_like: bool) -> None:
    assert is_session_like(name) is session_like


# The guard: an edit of the table cannot make a session-looking name harmless.
GUARDED = ["session", "sid", "auth_token", "my_jwt", "user", "login", "remember_me", "laravel_session", ".AspNetCore.Cookies"]


@pytest.mark.parametrize("name", GUARDED)
def test_guard_overrides_the_table(name: str) -> None:
    table = cookie_names._NameTable(((name, "preference", "generic"), ("guarded_*", "analytics", "Vendor")))
    assert cookie_names._classify(name, table) is None
    assert cookie_names._classify("guarded_session", table) is None
    assert cookie_names._classify("guarded_theme", table) == "analytics"


def test_table_is_well_formed() -> None:
    patterns = [pattern for pattern, _, _ in NOT_CREDENTIAL]
    assert len(patterns) == len(set(patterns)), "a pattern is listed twice"
    assert {category for _, category, _ in NOT_CREDENTIAL} == CATEGORIES
    assert GUARD_EXCEPTIONS <= set(patterns), "an exception names no pattern of the table"
    assert all("*" not in pattern[:-1] for pattern in patterns)
    assert len({pattern.lower() for pattern, _ in SESSION_LIKE}) == len(SESSION_LIKE)


@pytest.mark.parametrize(("pattern", "category", "vendor"), NOT_CREDENTIAL, ids=[pattern for pattern, _, _ in NOT_CREDENTIAL])
def test_every_entry_is_reachable(pattern: str, category: str, vendor: str) -> None:
    """No entry is dead weight: each one classifies (the guard exempts what it must)."""
    name = pattern[:-1] + "x1" if pattern.endswith("*") else pattern
    assert classify(name) == category, vendor


def test_bad_patterns_are_refused() -> None:
    with pytest.raises(ValueError):
        cookie_names._NameTable((("_ga*x", "analytics", "Google"),))
    with pytest.raises(ValueError):
        cookie_names._NameTable((("_ga", "tracking", "Google"),))


@pytest.mark.parametrize("name", ["_ga", "session_id", "__Host-sid", "_hjSession_123", "theme", "x" * 5000 + "session"])
def test_a_name_s_answers_are_the_same_the_second_time_and_long_names_are_not_kept(name):
    """Answers are remembered by name (a site sends the same few on every request); asked
    again they do not change, and a name longer than any real cookie's is never kept."""
    kept = (cookie_names._classified.cache_info().currsize, cookie_names._session_like.cache_info().currsize)
    first = (cookie_names.classify(name), cookie_names.is_session_like(name))
    assert (cookie_names.classify(name), cookie_names.is_session_like(name)) == first
    harmless = cookie_names._classify(name, cookie_names._TABLE)
    assert first == (harmless, harmless is None and cookie_names._could_be_sign_in(name))
    if len(name) > 256:
        assert (cookie_names._classified.cache_info().currsize, cookie_names._session_like.cache_info().currsize) == kept
