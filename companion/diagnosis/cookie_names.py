"""Cookie names that carry no sign-in, and names that do.

A browser sends a site every cookie the site ever set, so a request that got 401 Unauthorized
usually carries cookies even when nobody signed in: the analytics visitor ID, the consent
banner's answer, the theme, a CSRF token, a load balancer's stickiness ticket. None of those
proves who the caller is. This module recognises such cookies by name, so a diagnosis can say
"only _ga, OptanonConsent and csrftoken were sent: no credential at all" instead of "cookies
were sent".

The table is curated by hand from what each vendor documents about the cookies its script or
product sets (the page is cited beside each group; "secondary" marks a group only found in
other sites' cookie policies), plus the defaults of common frameworks. It is deliberately
incomplete: a name it does not know is never called harmless.

Matching. A pattern is an exact name ("_ga") or a prefix ending in "*" ("_ga_*"). Vendor names
match case-sensitively, as the vendor spells them. Entries whose vendor starts with "generic"
(theme, lang, locale, csrftoken, XSRF-TOKEN ...) match case-insensitively, because every site
spells those its own way. "__Host-" and "__Secure-" are cookie prefixes, not categories: they
only make the browser enforce Secure/Path/Domain rules (MDN, Set-Cookie "Cookie prefixes"), so
a prefixed name is also looked up without the prefix ("__Host-theme" is a preference,
"__Secure-next-auth.session-token" a session).

The guard. classify() never returns a category for a name that could be a sign-in: one that
contains sess, auth, token, jwt, login, logged, user, remember, identity or saml, has "sid" as
a word of its own, or matches SESSION_LIKE. This holds whatever the table says, so a later edit
of the table cannot turn a session into "analytics". The only way through is GUARD_EXCEPTIONS:
table patterns whose vendor documents a non-credential despite the name (listed there, each
with its reason).
"""

import re
from functools import lru_cache

__all__ = ["CATEGORIES", "GUARD_EXCEPTIONS", "NOT_CREDENTIAL", "SESSION_LIKE", "classify", "is_session_like"]

CATEGORIES = frozenset({"analytics", "advertising", "consent", "preference", "csrf", "ab_test", "security", "widget"})

NOT_CREDENTIAL: tuple[tuple[str, str, str], ...] = (
    # https://support.google.com/analytics/answer/11397207 (GA4) and
    # https://developers.google.com/analytics/resources/concepts/gaConceptsCookies (gtag/analytics.js/ga.js)
    ("_ga", "analytics", "Google Analytics"), ("_ga_*", "analytics", "Google Analytics"),
    ("_gid", "analytics", "Google Analytics"), ("_gat", "analytics", "Google Analytics"),
    ("_gat_*", "analytics", "Google Analytics"), ("_dc_gtm_*", "analytics", "Google Tag Manager"),
    ("AMP_TOKEN", "analytics", "Google Analytics"), ("__utm*", "analytics", "Google Analytics (ga.js)"),
    # https://support.google.com/analytics/answer/7519794 and https://business.safety.google/adscookies/
    ("_gac_*", "advertising", "Google Ads"), ("_gcl_*", "advertising", "Google Ads"),
    ("__gads", "advertising", "Google AdSense / Ad Manager"), ("__gpi", "advertising", "Google AdSense / Ad Manager"),
    ("NID", "preference", "Google (google.com preferences)"),
    ("_gaexp", "ab_test", "Google Optimize (sunset 2023)"),
    # https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc/
    ("_fbp", "advertising", "Meta pixel"), ("_fbc", "advertising", "Meta pixel"),
    # Hotjar help centre, "Cookies set by the Hotjar tracking code" (URL not re-checked; names also in sites' policies)
    ("_hjSession*", "analytics", "Hotjar"), ("_hjIncludedIn*", "analytics", "Hotjar"),
    ("_hjAbsoluteSessionInProgress", "analytics", "Hotjar"), ("_hjid", "analytics", "Hotjar"),
    ("_hjFirstSeen", "analytics", "Hotjar"), ("_hjTLDTest", "analytics", "Hotjar"),
    ("_hjLocalStorageTest", "analytics", "Hotjar"), ("_hjCachedUserAttributes", "analytics", "Hotjar"),
    ("_hjUserAttributesHash", "analytics", "Hotjar"), ("_hjClosedSurveyInvites", "analytics", "Hotjar"),
    ("_hjDonePolls", "analytics", "Hotjar"), ("_hjMinimizedPolls", "analytics", "Hotjar"),
    ("_hjShownFeedbackMessage", "analytics", "Hotjar"),
    # https://learn.microsoft.com/en-us/clarity/setup-and-installation/cookie-list
    ("_clck", "analytics", "Microsoft Clarity"), ("_clsk", "analytics", "Microsoft Clarity"),
    ("CLID", "analytics", "Microsoft Clarity"), ("MUID", "advertising", "Microsoft"),
    ("ANONCHK", "advertising", "Microsoft"),
    # Microsoft Advertising UET (secondary: https://kukie.io/blog/microsoft-uet-consent-mode-guide)
    ("_uetsid", "advertising", "Microsoft UET"), ("_uetvid", "advertising", "Microsoft UET"),
    ("_uetmsclkid", "advertising", "Microsoft UET"),
    # https://www.linkedin.com/legal/l/cookie-table (Insight Tag)
    ("li_sugr", "advertising", "LinkedIn"), ("bcookie", "advertising", "LinkedIn"),
    ("UserMatchHistory", "advertising", "LinkedIn"), ("li_fat_id", "advertising", "LinkedIn"),
    ("AnalyticsSyncHistory", "analytics", "LinkedIn"), ("lidc", "security", "LinkedIn (data-centre routing)"),
    ("li_gc", "consent", "LinkedIn"),
    # https://www.twilio.com/docs/segment/connections/sources/catalog/libraries/website/javascript/identity
    ("ajs_anonymous_id", "analytics", "Segment"), ("ajs_user_id", "analytics", "Segment"),
    ("ajs_group_id", "analytics", "Segment"),
    # https://amplitude.com/docs/sdks/analytics/browser/cookies-and-consent-management (AMP_<key>; legacy amp_<key>)
    ("AMP_*", "analytics", "Amplitude"), ("amp_*", "analytics", "Amplitude (legacy SDK)"),
    ("amplitude_id_*", "analytics", "Amplitude (legacy SDK)"),
    # https://github.com/mixpanel/mixpanel-js/blob/master/src/mixpanel-persistence.js (mp_<token>_mixpanel)
    ("mp_*", "analytics", "Mixpanel"), ("__mp_opt_in_out_*", "consent", "Mixpanel"),
    # https://help.heap.io/data-privacy/data-privacy-faqs/what-cookies-does-heap-set-and-what-are-they-used-for
    ("_hp2_*", "analytics", "Heap"), ("_hp5_*", "analytics", "Heap"),
    # https://docs.contentsquare.com/en/web/cookies/
    ("_cs_id", "analytics", "Contentsquare"), ("_cs_s", "analytics", "Contentsquare"),
    ("_cs_c", "consent", "Contentsquare"),
    # https://matomo.org/faq/general/faq_146/ (MATOMO_SESSID is in SESSION_LIKE: Matomo's own UI session)
    ("_pk_id.*", "analytics", "Matomo"), ("_pk_ses.*", "analytics", "Matomo"), ("_pk_ref.*", "analytics", "Matomo"),
    ("_pk_cvar.*", "analytics", "Matomo"), ("_pk_hsr.*", "analytics", "Matomo"),
    ("_pk_testcookie*", "analytics", "Matomo"), ("mtm_consent", "consent", "Matomo"),
    ("mtm_consent_removed", "consent", "Matomo"), ("mtm_cookie_consent", "consent", "Matomo"),
    ("matomo_ignore", "consent", "Matomo"),
    # Plausible sets no cookie. Yandex Metrica: https://yandex.com/support/metrica/general/cookie-usage.html (not re-checked)
    ("_ym_*", "analytics", "Yandex Metrica"),
    # https://knowledge.hubspot.com/privacy-and-consent/what-cookies-does-hubspot-set-in-a-visitor-s-browser
    ("__hstc", "analytics", "HubSpot"), ("hubspotutk", "analytics", "HubSpot"), ("__hssc", "analytics", "HubSpot"),
    ("__hssrc", "analytics", "HubSpot"), ("__hsfp", "analytics", "HubSpot"), ("__hs_opt_out", "consent", "HubSpot"),
    ("__hs_do_not_track", "consent", "HubSpot"), ("__hs_initial_opt_in", "consent", "HubSpot"),
    ("__hs_cookie_cat_pref", "consent", "HubSpot"), ("hs_ab_test", "ab_test", "HubSpot"),
    ("hs_lang_switcher_choice", "preference", "HubSpot"), ("hs-messages-is-open", "widget", "HubSpot chat"),
    ("hs-messages-hide-welcome-message", "widget", "HubSpot chat"), ("messagesUtk", "widget", "HubSpot chat"),
    # https://www.intercom.com/help/en/articles/2361922-intercom-messenger-cookies
    ("intercom-id-*", "widget", "Intercom"), ("intercom-session-*", "widget", "Intercom"),
    ("intercom-device-id-*", "widget", "Intercom"),
    # Drift (secondary: https://www.consentstack.io/vendors/drift)
    ("driftt_aid", "widget", "Drift"), ("driftt_sid", "widget", "Drift"), ("driftt_eid", "widget", "Drift"),
    # Crisp: https://help.crisp.chat/en/article/crisp-chatbox-cookie-ip-policy-1147xor/ (name from sites' policies)
    ("crisp-client%2Fsession%2F*", "widget", "Crisp"),
    # https://support.zendesk.com/hc/en-us/articles/4408828505754 (Chat / Web Widget)
    ("__zlcmid", "widget", "Zendesk"), ("__zlcprivacy", "consent", "Zendesk"),
    # https://support.optimizely.com/hc/en-us/articles/4410284260365
    ("optimizelyEndUserId", "ab_test", "Optimizely"), ("optimizelyBuckets", "ab_test", "Optimizely"),
    ("optimizelySegments", "ab_test", "Optimizely"), ("optimizelyRedirectData", "ab_test", "Optimizely"),
    ("optimizelyDomainTestCookie", "ab_test", "Optimizely"), ("optimizelyOptOut", "consent", "Optimizely"),
    # https://help.vwo.com/hc/en-us/articles/360033990873
    ("_vwo_*", "ab_test", "VWO"), ("_vis_opt_*", "ab_test", "VWO"), ("_vis_opt_out", "consent", "VWO"),
    # https://docs.abtasty.com/client-side/tag/tag-cookies
    ("ABTasty*", "ab_test", "AB Tasty"), ("ABTastySession", "ab_test", "AB Tasty"),
    # Consent managers. OneTrust: https://my.onetrust.com/articles/en_US/Knowledge/UUID-2dc719a8-4be5-8d16-1dc8-c7b4147b88e0
    ("OptanonConsent", "consent", "OneTrust"), ("OptanonAlertBoxClosed", "consent", "OneTrust"),
    ("eupubconsent-v2", "consent", "OneTrust (IAB TCF)"),
    # https://www.cookiebot.com/en/developer/
    ("CookieConsent", "consent", "Cookiebot"),
    # https://developers.didomi.io/cmp/web-sdk/consent-notice/cookies (euconsent-v2 is the IAB TCF v2 string)
    ("didomi_token", "consent", "Didomi"), ("didomi_dcs", "consent", "Didomi"),
    ("euconsent-v2", "consent", "IAB TCF (Didomi, Quantcast, consentmanager ...)"), ("euconsent", "consent", "IAB TCF v1"),
    ("addtl_consent", "consent", "Google Additional Consent (Quantcast and other TCF CMPs)"),
    ("usprivacy", "consent", "IAB US Privacy string"),
    # https://help.consentmanager.net/books/cmp/page/cookies-set-by-the-cmp
    ("__cmp*", "consent", "consentmanager.net"),
    # Osano (secondary: https://edgee.mintlify.dev/docs/components/consent-management/osano-consent-mapping);
    # cookieconsent_status is the default of Osano's open-source https://github.com/osano/cookieconsent
    ("osano_consentmanager", "consent", "Osano"), ("osano_consentmanager_uuid", "consent", "Osano"),
    ("cookieconsent_status", "consent", "cookieconsent"),
    # TrustArc (secondary: https://www.flowconsent.com/en/services/consent-management/trustarc)
    ("notice_behavior", "consent", "TrustArc"), ("notice_gdpr_prefs", "consent", "TrustArc"),
    ("notice_preferences", "consent", "TrustArc"), ("cmapi_cookie_privacy", "consent", "TrustArc"),
    ("cmapi_gtm_bl", "consent", "TrustArc"),
    # https://complianz.io/cookies-from-complianz-what-are-they-for-and-how-you-use-them/
    ("cmplz_*", "consent", "Complianz"),
    # https://www.cookieyes.com/cookies-installed-by-cookieyes-and-their-purposes/
    ("cookieyes-*", "consent", "CookieYes"), ("cookieyesID", "consent", "CookieYes"),
    ("cky-consent", "consent", "CookieYes"), ("cky-action", "consent", "CookieYes"),
    # https://www.iubenda.com/en/help/1205-cookie-solution-configuration (_iub_cs-<cookiePolicyId>)
    ("_iub_cs-*", "consent", "iubenda"),
    # Usercentrics (secondary: https://www.consentstack.io/vendors/usercentrics)
    ("uc_*", "consent", "Usercentrics"), ("uc_user_interaction", "consent", "Usercentrics"),
    # https://developers.cloudflare.com/fundamentals/reference/policies-compliances/cloudflare-cookies/
    ("__cf_bm", "security", "Cloudflare"), ("cf_clearance", "security", "Cloudflare"),
    ("__cflb", "security", "Cloudflare"), ("_cfuvid", "security", "Cloudflare"), ("__cfruid", "security", "Cloudflare"),
    ("__cfwaitingroom", "security", "Cloudflare"), ("cf_ob_info", "security", "Cloudflare"),
    ("cf_use_ob", "security", "Cloudflare"), ("cf_chl_*", "security", "Cloudflare"), ("__cfseq-*", "security", "Cloudflare"),
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/sticky-sessions.html and .../classic/elb-sticky-sessions.html
    ("AWSALB", "security", "AWS ALB"), ("AWSALBCORS", "security", "AWS ALB"), ("AWSALBTG", "security", "AWS ALB"),
    ("AWSALBTGCORS", "security", "AWS ALB"), ("AWSALBAPP-*", "security", "AWS ALB"),
    ("AWSELB", "security", "AWS Classic ELB"), ("AWSELBCORS", "security", "AWS Classic ELB"),
    # Azure App Service ARR affinity: https://learn.microsoft.com/en-us/azure/app-service/configure-common (not re-checked)
    ("ARRAffinity", "security", "Azure App Service"), ("ARRAffinitySameSite", "security", "Azure App Service"),
    # Akamai Bot Manager (secondary: https://www.flowconsent.com/en/services/security/akamai-bot-manager)
    ("_abck", "security", "Akamai"), ("ak_bmsc", "security", "Akamai"), ("bm_sz", "security", "Akamai"),
    ("bm_sv", "security", "Akamai"),
    # Stripe.js fraud signals: https://stripe.com/cookies-policy/legal
    ("__stripe_mid", "security", "Stripe"), ("__stripe_sid", "security", "Stripe"),
    # Datadog RUM: https://github.com/DataDog/browser-sdk (SESSION_STORE_KEY)
    ("_dd_s", "analytics", "Datadog RUM"), ("_dd_s_v2", "analytics", "Datadog RUM"),
    # CSRF. Django CSRF_COOKIE_NAME: https://docs.djangoproject.com/en/stable/ref/settings/#csrf-cookie-name;
    # XSRF-TOKEN: https://laravel.com/docs/csrf, https://angular.dev/best-practices/security,
    # https://docs.spring.io/spring-security/reference/servlet/exploits/csrf.html; _csrf: https://github.com/expressjs/csurf;
    # _xsrf: https://www.tornadoweb.org/en/stable/guide/security.html. Rails and Flask-WTF keep the token in the session.
    ("csrftoken", "csrf", "generic: Django"), ("xsrf-token", "csrf", "generic: Laravel, Angular, Spring Security"),
    ("_csrf", "csrf", "generic: Express csurf"), ("_xsrf", "csrf", "generic: Tornado"),
    ("csrf_token", "csrf", "generic"), ("csrf-token", "csrf", "generic"), ("csrf", "csrf", "generic"),
    # https://learn.microsoft.com/en-us/aspnet/core/security/anti-request-forgery (ASP.NET MVC: __RequestVerificationToken[_<app>])
    (".AspNetCore.Antiforgery.*", "csrf", "ASP.NET Core"), ("__RequestVerificationToken*", "csrf", "ASP.NET MVC"),
    # NextAuth.js / Auth.js helpers (session-token is in SESSION_LIKE): https://next-auth.js.org/configuration/options#cookies
    ("next-auth.csrf-token", "csrf", "NextAuth.js"), ("authjs.csrf-token", "csrf", "Auth.js"),
    ("next-auth.callback-url", "preference", "NextAuth.js"), ("authjs.callback-url", "preference", "Auth.js"),
    # Preferences. https://nextjs.org/docs/pages/guides/internationalization, https://i18n.nuxtjs.org/docs/api/options,
    # https://docs.djangoproject.com/en/stable/ref/settings/#language-cookie-name,
    # https://developer.wordpress.org/advanced-administration/wordpress/cookies/
    ("NEXT_LOCALE", "preference", "Next.js"), ("i18n_redirected", "preference", "Nuxt i18n"),
    ("django_language", "preference", "Django"), ("wp-settings-*", "preference", "WordPress"),
    ("wp_lang", "preference", "WordPress"), ("wordpress_test_cookie", "preference", "WordPress (cookie-support probe)"),
    ("comment_author_*", "preference", "WordPress (commenter name/email/url)"),
    ("theme", "preference", "generic"), ("color_scheme", "preference", "generic"), ("color-scheme", "preference", "generic"),
    ("colorscheme", "preference", "generic"), ("dark_mode", "preference", "generic"), ("darkmode", "preference", "generic"),
    ("lang", "preference", "generic"), ("language", "preference", "generic"), ("locale", "preference", "generic"),
    ("i18n", "preference", "generic"), ("tz", "preference", "generic"), ("timezone", "preference", "generic"),
    ("currency", "preference", "generic"), ("cookie_consent", "consent", "generic"),
)

GUARD_EXCEPTIONS: frozenset[str] = frozenset({
    # Vendor names that trip the guard but are documented as non-credentials.
    "_hjSession*", "_hjIncludedIn*", "_hjAbsoluteSessionInProgress",  # Hotjar's own recording session, not the site's
    "_hjCachedUserAttributes", "_hjUserAttributesHash",  # Hotjar Identify API cache
    "intercom-session-*",  # the Messenger's conversation session, not the site's sign-in
    "driftt_sid", "crisp-client%2Fsession%2F*",  # chat widget sessions
    "ajs_user_id", "UserMatchHistory", "optimizelyEndUserId", "uc_user_interaction",  # "user" = analytics/consent ID
    "ABTastySession",  # AB Tasty visit state (landing URL)
    "AMP_TOKEN", "didomi_token",  # GA's AMP client-ID token; Didomi's consent token
    "__stripe_sid",  # Stripe's 30-minute fraud-signal session
    "csrftoken", "xsrf-token", "csrf_token", "csrf-token", "__RequestVerificationToken*",  # CSRF tokens
    "next-auth.csrf-token", "authjs.csrf-token", "next-auth.callback-url", "authjs.callback-url",  # auth helpers
    "wordpress_test_cookie", "comment_author_*",  # WordPress: cookie probe; "author" contains "auth"
})

SESSION_LIKE: tuple[tuple[str, str], ...] = (
    # Matched case-insensitively; "*" may appear anywhere (sb-*-auth-token*). Sources: the frameworks' docs.
    ("sessionid", "Django"), ("PHPSESSID", "PHP"), ("JSESSIONID", "Java Servlet (Tomcat, Jetty, Spring)"),
    ("ASP.NET_SessionId", "ASP.NET session state"),
    (".ASPXAUTH", "ASP.NET forms authentication"), (".AspNetCore.Cookies*", "ASP.NET Core cookie authentication"),
    (".AspNetCore.Identity.Application*", "ASP.NET Core Identity"),
    (".AspNetCore.Session", "ASP.NET Core session (server state, often holds the sign-in)"),
    ("connect.sid", "Express express-session"), ("session", "Flask, Express cookie-session, Spring Session (SESSION)"),
    ("session.sig", "Express cookie-session"), ("koa.sess*", "Koa koa-session"), ("rack.session", "Rack, Sinatra"),
    ("*_session", "Rails (_<app>_session), Laravel (<app>_session), CodeIgniter (ci_session)"),
    ("remember_web_*", "Laravel remember-me"), ("remember_user_token", "Devise remember-me"),
    ("next-auth.session-token*", "NextAuth.js v4"), ("authjs.session-token*", "Auth.js v5"),
    ("better-auth.session_token*", "Better Auth"), ("appSession*", "Auth0 express-openid-connect / nextjs-auth0"),
    ("sb-*-auth-token*", "Supabase"), ("KEYCLOAK_IDENTITY*", "Keycloak"), ("KEYCLOAK_SESSION*", "Keycloak"),
    ("AUTH_SESSION_ID*", "Keycloak"), ("_oauth2_proxy*", "oauth2-proxy"),
    ("AWSELBAuthSessionCookie*", "AWS ALB authenticate-oidc / cognito"),
    ("wordpress_logged_in_*", "WordPress"), ("wordpress_sec_*", "WordPress"), ("wordpress_*", "WordPress"),
    ("SESS*", "Drupal"), ("SSESS*", "Drupal (https)"), ("MATOMO_SESSID", "Matomo (its own UI; an opt-out nonce elsewhere)"),
    ("PLAY_SESSION", "Play Framework"), ("__session", "Firebase Hosting, Clerk"), ("_shibsession_*", "Shibboleth"),
    ("SMSESSION", "CA SiteMinder"), ("iPlanetDirectoryPro", "ForgeRock AM / OpenAM"), ("CAKEPHP", "CakePHP"),
    ("sid", "generic"), ("token", "generic"), ("auth", "generic"), ("jwt", "generic"), ("access_token", "generic"),
    ("refresh_token", "generic"), ("id_token", "generic"), ("auth_token", "generic"),
)

# Words that may mean a sign-in. Plain alternation, no nested quantifier: linear time, no backtracking.
_CREDENTIAL_WORDS = re.compile(r"sess|auth|token|jwt|login|logged|user|remember|identity|saml|(?<![a-z0-9])sid(?![a-z0-9])", re.I)
_COOKIE_PREFIXES = ("__Host-", "__Secure-")


_Hit = tuple[str, str]  # (table pattern, category)


class _NameTable:
    """NOT_CREDENTIAL compiled once: exact names in dicts, prefixes in a tuple for str.startswith."""

    __slots__ = ("exact", "generic", "prefix_items", "prefixes")

    def __init__(self, table: tuple[tuple[str, str, str], ...]) -> None:
        self.exact: dict[str, _Hit] = {}
        self.generic: dict[str, _Hit] = {}  # lower-cased name -> hit
        items: list[tuple[str, _Hit]] = []
        for pattern, category, vendor in table:
            if category not in CATEGORIES or "*" in pattern[:-1] or pattern in ("", "*"):
                raise ValueError(f"bad cookie pattern {pattern!r} ({category!r})")
            if pattern.endswith("*"):
                items.append((pattern[:-1], (pattern, category)))
            elif vendor.startswith("generic"):
                self.generic[pattern.lower()] = (pattern, category)
            else:
                self.exact[pattern] = (pattern, category)
        items.sort(key=lambda item: len(item[0]), reverse=True)  # the longest prefix wins
        self.prefix_items = tuple(items)
        self.prefixes = tuple(prefix for prefix, _ in items)

    def lookup(self, name: str) -> _Hit | None:
        hit = self.exact.get(name) or self.generic.get(name.lower())
        if hit is None and name.startswith(self.prefixes):
            hit = next(h for prefix, h in self.prefix_items if name.startswith(prefix))
        return hit


def _glob_match(name: str, parts: list[str]) -> bool:
    head, *middle, tail = parts
    if len(name) < len(head) + len(tail) or not name.startswith(head) or not name.endswith(tail):
        return False
    position, end = len(head), len(name) - len(tail)
    for part in middle:  # leftmost placement of each piece is always the best one for "*" globs
        found = name.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


_TABLE = _NameTable(NOT_CREDENTIAL)
_SESSION_EXACT = frozenset(pattern.lower() for pattern, _ in SESSION_LIKE if "*" not in pattern)
_SESSION_GLOBS = tuple(pattern.lower().split("*") for pattern, _ in SESSION_LIKE if "*" in pattern)


def _unprefixed(name: str) -> str | None:
    return next((name.removeprefix(prefix) for prefix in _COOKIE_PREFIXES if name.startswith(prefix)), None)


def _in_session_table(name: str) -> bool:
    for candidate in filter(None, (name, _unprefixed(name))):
        lowered = candidate.lower()
        if lowered in _SESSION_EXACT or any(_glob_match(lowered, parts) for parts in _SESSION_GLOBS):
            return True
    return False


def _could_be_sign_in(name: str) -> bool:
    return bool(_CREDENTIAL_WORDS.search(name)) or _in_session_table(name)


def _classify(name: str, table: _NameTable) -> str | None:
    hit = table.lookup(name)
    if hit is None and (bare := _unprefixed(name)):
        hit = table.lookup(bare)
    if hit is None:
        return None
    pattern, category = hit
    # The guard: whatever the table says, a name that could be a sign-in is not called harmless,
    # unless the matching pattern is one of the documented vendor exceptions.
    if pattern not in GUARD_EXCEPTIONS and _could_be_sign_in(name):
        return None
    return category


def classify(name: str) -> str | None:
    """The category of a cookie known not to carry a credential (one of CATEGORIES), else None.

    Never a category for a name that could be a sign-in (see the module docstring), except the
    vendor names in GUARD_EXCEPTIONS: _hjSession_<site> is Hotjar analytics, intercom-session-<app>
    the chat widget, ajs_user_id Segment's analytics ID, __stripe_sid a fraud signal, csrftoken a
    CSRF token. Names such as _dd_s (Datadog RUM) need no exception: they contain no such word.
    """
    return _classified(name) if len(name) <= _MAX_REMEMBERED_NAME else _classified.__wrapped__(name)


# A name's answers depend on the name alone; a site sends the same few names on every request,
# and the tables cost a few dozen comparisons each. Long names (no real cookie's) are not kept.
_MAX_REMEMBERED_NAME = 256


@lru_cache(maxsize=4096)
def _classified(name: str) -> str | None:
    return _classify(name, _TABLE)


@lru_cache(maxsize=4096)
def _session_like(name: str) -> bool:
    return classify(name) is None and _could_be_sign_in(name)


def is_session_like(name: str) -> bool:
    """True for a known session/sign-in cookie name, or one that looks like it could be one.

    Deliberately generous ("user_pref" counts: "user" may hold an identity); the documented
    vendor exceptions ("_hjSession_1", "intercom-session-x") are not session-like.
    """
    return _session_like(name) if len(name) <= _MAX_REMEMBERED_NAME else _session_like.__wrapped__(name)
