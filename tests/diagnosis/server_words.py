"""What real servers say when they answer 401, and what they mean by it.

A held-out test set for the part of the diagnosis that reads the server's own words: the error
code or message in a 401 body, or the ``error`` / ``error_description`` of a ``WWW-Authenticate``
challenge. Every text below was taken from the source code or the documentation of the server,
framework or library that produces it (or, for hosted services, from their documentation and
from users quoting the response verbatim in public issues). None of it was written for this
project, and none of it may be copied into the classifier's vocabulary: the point is to measure
the classifier on wording it was not built from.

Each entry is ``(text, meaning, source)``:

- ``text``: the code or the message exactly as the server sends it. A code and its message are
  two separate entries. Where the server fills in a value (a date, an audience, an id, a user
  name, an IP address), a realistic concrete value stands in its place, formatted the way that
  server formats it. Texts are distinct even ignoring case.
- ``meaning``: what the server is telling the client, one of ``expired``, ``not_yet_valid``,
  ``invalid_token``, ``invalid_api_key``, ``invalid_password``, ``no_credentials``,
  ``wrong_scheme``, ``malformed``, ``step_up``, ``insufficient_scope``, ``ip_blocked``,
  ``account_state`` and ``generic``. Where the words could be read two ways, the meaning is the
  one the producing code uses them for, and a comment says so.
- ``source``: where the text can be read (a file in the project's repository, or a page of the
  service's documentation or issue tracker).

Some texts come with another status than 401 (a 400, 403 or 422 from the same code path, or a
200 for Slack's Web API); a comment marks them. They are kept because the words mean the same
thing wherever they appear, and servers and proxies often re-map the status.

Strings that announce that a password sign-in is no longer accepted and a token must be used
instead are ``wrong_scheme``: the credentials arrived in a form the server no longer takes.
"""

from __future__ import annotations

SERVER_WORDS: tuple[tuple[str, str, str], ...] = (
    # ── RFC 6750 (Bearer tokens) and RFC 9470 (step-up) ──────────────────────────────────────────
    ("invalid_token", "invalid_token", "https://www.rfc-editor.org/rfc/rfc6750#section-3.1"),
    ("insufficient_scope", "insufficient_scope", "https://www.rfc-editor.org/rfc/rfc6750#section-3.1"),
    ("insufficient_user_authentication", "step_up", "https://www.rfc-editor.org/rfc/rfc9470#section-3"),
    ("A different authentication level is required", "step_up", "https://www.rfc-editor.org/rfc/rfc9470#section-3"),
    ("More recent authentication is required", "step_up", "https://www.rfc-editor.org/rfc/rfc9470#section-3"),
    # RFC 6749 §5.2: the client's own credentials (client id / secret) were rejected.
    ("invalid_client", "invalid_password", "https://www.rfc-editor.org/rfc/rfc6749#section-5.2"),

    # ── Flask-JWT-Extended ──────────────────────────────────────────────────────────────────────
    ("Missing Authorization Header", "no_credentials", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    ("Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'", "wrong_scheme", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    # InvalidHeaderError: sent with 422 by the default callback.
    ("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'", "wrong_scheme", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    ('Missing cookie "access_token_cookie"', "no_credentials", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    ("Missing 'jwt' query paramater", "no_credentials", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    ('Missing "access_token" key in json data.', "no_credentials", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    ('Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")', "no_credentials", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/view_decorators.py"),
    ("Token has expired", "expired", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/default_callbacks.py"),
    ("Fresh token required", "step_up", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/default_callbacks.py"),
    ("Token has been revoked", "invalid_token", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/default_callbacks.py"),
    # WrongTokenError: a refresh token sent where an access token belongs (422 by default).
    ("Only non-refresh tokens are allowed", "invalid_token", "https://github.com/vimalloc/flask-jwt-extended/blob/HEAD/flask_jwt_extended/internal_utils.py"),

    # ── PyJWT (messages Flask-JWT-Extended, simplejwt and many apps pass through) ───────────────
    ("Signature has expired", "expired", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jwt.py"),
    ("The token is not yet valid (nbf)", "not_yet_valid", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jwt.py"),
    ("The token is not yet valid (iat)", "not_yet_valid", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jwt.py"),
    ("Invalid audience", "invalid_token", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jwt.py"),
    ("Audience doesn't match", "invalid_token", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jwt.py"),
    ("Invalid issuer", "invalid_token", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jwt.py"),
    ('Token is missing the "exp" claim', "invalid_token", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/exceptions.py"),
    ("Signature verification failed", "invalid_token", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jws.py"),
    ("The specified alg value is not allowed", "invalid_token", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jws.py"),
    ("Not enough segments", "malformed", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jws.py"),
    ("Invalid header padding", "malformed", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jws.py"),
    ("Invalid crypto padding", "malformed", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jws.py"),
    ("Invalid header string: Expecting value: line 1 column 1 (char 0)", "malformed", "https://github.com/jpadilla/pyjwt/blob/HEAD/jwt/api_jws.py"),

    # ── Django REST framework ───────────────────────────────────────────────────────────────────
    ("Authentication credentials were not provided.", "no_credentials", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/exceptions.py"),
    ("not_authenticated", "no_credentials", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/exceptions.py"),
    ("Incorrect authentication credentials.", "generic", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/exceptions.py"),
    ("authentication_failed", "generic", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/exceptions.py"),
    ("Invalid basic header. No credentials provided.", "malformed", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid basic header. Credentials string should not contain spaces.", "malformed", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid basic header. Credentials not correctly base64 encoded.", "malformed", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid username/password.", "invalid_password", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("User inactive or deleted.", "account_state", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid token header. No credentials provided.", "malformed", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid token header. Token string should not contain spaces.", "malformed", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid token header. Token string should not contain invalid characters.", "malformed", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),
    ("Invalid token.", "invalid_token", "https://github.com/encode/django-rest-framework/blob/HEAD/rest_framework/authentication.py"),

    # ── djangorestframework-simplejwt ───────────────────────────────────────────────────────────
    # The detail and code of InvalidToken, raised for every rejected token, the expired ones included
    # (the reason is in the nested "messages"): read as a rejected token.
    ("Given token not valid for any token type", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    ("token_not_valid", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/exceptions.py"),
    ("Token is invalid or expired", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/exceptions.py"),
    ("Token is expired", "expired", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/tokens.py"),
    ("Token is invalid", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/tokens.py"),
    ("Token is blacklisted", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/tokens.py"),
    ("Token has wrong type", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/tokens.py"),
    ("Token 'exp' claim has expired", "expired", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/tokens.py"),
    ("Token contained no recognizable user identification", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    # Raised when the header has the right keyword but not exactly two parts ("Bearer" alone, or a token with spaces).
    ("Authorization header must contain two space-delimited values", "malformed", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    ("bad_authorization_header", "malformed", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    ("User is inactive", "account_state", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    ("user_inactive", "account_state", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    # The token was revoked because the password changed after it was issued.
    ("The user's password has been changed.", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    ("password_changed", "invalid_token", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/authentication.py"),
    ("No active account found with the given credentials", "invalid_password", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/serializers.py"),
    ("no_active_account", "invalid_password", "https://github.com/jazzband/djangorestframework-simplejwt/blob/HEAD/rest_framework_simplejwt/serializers.py"),

    # ── Django (login form errors, shown on a 200 page) ─────────────────────────────────────────
    ("Please enter a correct username and password. Note that both fields may be case-sensitive.", "invalid_password", "https://github.com/django/django/blob/HEAD/django/contrib/auth/forms.py"),
    ("This account is inactive.", "account_state", "https://github.com/django/django/blob/HEAD/django/contrib/auth/forms.py"),

    # ── express-jwt ─────────────────────────────────────────────────────────────────────────────
    ("credentials_required", "no_credentials", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),
    ("No authorization token was found", "no_credentials", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),
    ("credentials_bad_scheme", "wrong_scheme", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),
    ("Format is Authorization: Bearer [token]", "wrong_scheme", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),
    # Same message as credentials_bad_scheme, but raised when the header does not split into two parts.
    ("credentials_bad_format", "malformed", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),
    ("revoked_token", "invalid_token", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),
    ("The token has been revoked.", "invalid_token", "https://github.com/auth0/express-jwt/blob/HEAD/src/index.ts"),

    # ── jsonwebtoken (node) ─────────────────────────────────────────────────────────────────────
    # verify() with an empty token: nothing arrived.
    ("jwt must be provided", "no_credentials", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("jwt malformed", "malformed", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("jwt signature is required", "invalid_token", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("invalid algorithm", "invalid_token", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("invalid signature", "invalid_token", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("jwt not active", "not_yet_valid", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("jwt expired", "expired", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("jwt audience invalid. expected: https://api.example.com", "invalid_token", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("jwt issuer invalid. expected: https://example.eu.auth0.com/", "invalid_token", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("maxAge exceeded", "expired", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/verify.js"),
    ("TokenExpiredError", "expired", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/lib/TokenExpiredError.js"),
    ("NotBeforeError", "not_yet_valid", "https://github.com/auth0/node-jsonwebtoken/blob/HEAD/lib/NotBeforeError.js"),

    # ── jose (panva), used by express-oauth2-jwt-bearer and most modern node stacks ──────────────
    ('"exp" claim timestamp check failed', "expired", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    ('"nbf" claim timestamp check failed', "not_yet_valid", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    ('"iat" claim timestamp check failed (it should be in the past)', "not_yet_valid", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    # maxTokenAge exceeded: the token is too old to be accepted.
    ('"iat" claim timestamp check failed (too far in the past)', "expired", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    ('unexpected "aud" claim value', "invalid_token", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    ('unexpected "iss" claim value', "invalid_token", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    ('missing required "exp" claim', "invalid_token", "https://github.com/panva/jose/blob/HEAD/src/lib/jwt_claims_set.ts"),
    ("Invalid Compact JWS", "malformed", "https://github.com/panva/jose/blob/HEAD/src/lib/jws_verify.ts"),
    ("no applicable key found in the JSON Web Key Set", "invalid_token", "https://github.com/panva/jose/blob/HEAD/src/util/errors.ts"),
    ('"alg" (Algorithm) Header Parameter value not allowed', "invalid_token", "https://github.com/panva/jose/blob/HEAD/src/lib/jws_verify.ts"),

    # ── express-oauth2-jwt-bearer (Auth0) ───────────────────────────────────────────────────────
    ("Unexpected 'aud' value", "invalid_token", "https://github.com/auth0/node-oauth2-jwt-bearer/blob/HEAD/packages/access-token-jwt/src/validate.ts"),
    ("Unexpected 'iss' value", "invalid_token", "https://github.com/auth0/node-oauth2-jwt-bearer/blob/HEAD/packages/access-token-jwt/src/validate.ts"),
    ("Token issuer is not allowed", "invalid_token", "https://github.com/auth0/node-oauth2-jwt-bearer/blob/HEAD/packages/access-token-jwt/src/jwt-verifier.ts"),
    # RFC 6750 says 403 for this one; the library follows it.
    ("Insufficient Scope", "insufficient_scope", "https://github.com/auth0/node-oauth2-jwt-bearer/blob/HEAD/packages/oauth2-bearer/src/errors.ts"),
    ("DPoP proof requires the DPoP authentication scheme, not Bearer", "wrong_scheme", "https://github.com/auth0/node-oauth2-jwt-bearer/blob/HEAD/packages/access-token-jwt/src/dpop-verifier.ts"),

    # ── passport-jwt ────────────────────────────────────────────────────────────────────────────
    ("No auth token", "no_credentials", "https://github.com/mikenicholson/passport-jwt/blob/HEAD/lib/strategy.js"),

    # ── golang-jwt/jwt (v5 messages, then v3 ones still common in the wild) ──────────────────────
    ("token has invalid claims: token is expired by 1h2m5s", "expired", "https://github.com/golang-jwt/jwt/blob/HEAD/validator.go"),
    ("token has invalid claims: token is not valid yet", "not_yet_valid", "https://github.com/golang-jwt/jwt/blob/HEAD/validator.go"),
    ("token has invalid claims: token used before issued", "not_yet_valid", "https://github.com/golang-jwt/jwt/blob/HEAD/validator.go"),
    ("token has invalid claims: token has invalid audience", "invalid_token", "https://github.com/golang-jwt/jwt/blob/HEAD/validator.go"),
    ("token has invalid claims: token has invalid issuer", "invalid_token", "https://github.com/golang-jwt/jwt/blob/HEAD/validator.go"),
    ("token signature is invalid: signature is invalid", "invalid_token", "https://github.com/golang-jwt/jwt/blob/HEAD/parser.go"),
    ("token signature is invalid: crypto/rsa: verification error", "invalid_token", "https://github.com/golang-jwt/jwt/blob/HEAD/parser.go"),
    ("token is malformed: token contains an invalid number of segments", "malformed", "https://github.com/golang-jwt/jwt/blob/HEAD/parser.go"),
    ("token is malformed: could not base64 decode header: illegal base64 data at input byte 36", "malformed", "https://github.com/golang-jwt/jwt/blob/HEAD/parser.go"),
    ("token signature is invalid: token is unverifiable: 'none' signature type is not allowed", "invalid_token", "https://github.com/golang-jwt/jwt/blob/HEAD/none.go"),
    ("token is expired by 2h0m12s", "expired", "https://github.com/golang-jwt/jwt/blob/v3.2.2/claims.go"),
    ("Token used before issued", "not_yet_valid", "https://github.com/golang-jwt/jwt/blob/v3.2.2/claims.go"),
    ("token is not valid yet", "not_yet_valid", "https://github.com/golang-jwt/jwt/blob/v3.2.2/claims.go"),
    ("signature is invalid", "invalid_token", "https://github.com/golang-jwt/jwt/blob/v3.2.2/hmac.go"),
    ("token contains an invalid number of segments", "malformed", "https://github.com/golang-jwt/jwt/blob/v3.2.2/parser.go"),
    # The scheme word was left in the token: "Bearer Bearer eyJ..." or an unstripped header.
    ("tokenstring should not contain 'bearer '", "malformed", "https://github.com/golang-jwt/jwt/blob/v3.2.2/parser.go"),
    ("signing method RS256 is invalid", "invalid_token", "https://github.com/golang-jwt/jwt/blob/v3.2.2/parser.go"),

    # ── Go middleware: appleboy/gin-jwt, labstack echo / echo-jwt, go-chi/jwtauth, auth0/go-jwt-middleware ──
    ("auth header is empty", "no_credentials", "https://github.com/appleboy/gin-jwt/blob/HEAD/auth_jwt.go"),
    # Returned when the header does not start with the configured TokenHeadName ("Bearer").
    ("auth header is invalid", "wrong_scheme", "https://github.com/appleboy/gin-jwt/blob/HEAD/auth_jwt.go"),
    ("cookie token is empty", "no_credentials", "https://github.com/appleboy/gin-jwt/blob/HEAD/auth_jwt.go"),
    ("query token is empty", "no_credentials", "https://github.com/appleboy/gin-jwt/blob/HEAD/auth_jwt.go"),
    ("missing Username or Password", "no_credentials", "https://github.com/appleboy/gin-jwt/blob/HEAD/auth_jwt.go"),
    ("invalid signing algorithm", "invalid_token", "https://github.com/appleboy/gin-jwt/blob/HEAD/auth_jwt.go"),
    # ErrJWTMissing: raised when the extractor finds no token.
    ("missing or malformed jwt", "no_credentials", "https://github.com/labstack/echo-jwt/blob/HEAD/jwt.go"),
    # ErrJWTInvalid: any parse or validation failure, expiry included.
    ("invalid or expired jwt", "invalid_token", "https://github.com/labstack/echo-jwt/blob/HEAD/jwt.go"),
    ("missing key", "no_credentials", "https://github.com/labstack/echo/blob/HEAD/middleware/key_auth.go"),
    ("invalid key", "invalid_api_key", "https://github.com/labstack/echo/blob/HEAD/middleware/key_auth.go"),
    # jwtauth's catch-all for a token that failed verification.
    ("token is unauthorized", "invalid_token", "https://github.com/go-chi/jwtauth/blob/HEAD/jwtauth.go"),
    ("token nbf validation failed", "not_yet_valid", "https://github.com/go-chi/jwtauth/blob/HEAD/jwtauth.go"),
    ("token iat validation failed", "not_yet_valid", "https://github.com/go-chi/jwtauth/blob/HEAD/jwtauth.go"),
    ("no token found", "no_credentials", "https://github.com/go-chi/jwtauth/blob/HEAD/jwtauth.go"),
    ("algorithm mismatch", "invalid_token", "https://github.com/go-chi/jwtauth/blob/HEAD/jwtauth.go"),
    ("JWT is missing.", "no_credentials", "https://github.com/auth0/go-jwt-middleware/blob/7b94f33c54c3512ee919d5340c0dcf48d29949b6/error_handler.go"),
    ("JWT is invalid.", "invalid_token", "https://github.com/auth0/go-jwt-middleware/blob/7b94f33c54c3512ee919d5340c0dcf48d29949b6/error_handler.go"),
    ("Authorization header format must be Bearer {token}", "wrong_scheme", "https://github.com/auth0/go-jwt-middleware/blob/7b94f33c54c3512ee919d5340c0dcf48d29949b6/extractor.go"),
    # Also RFC 6750's own example description (§3).
    ("The access token expired", "expired", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("The access token is not yet valid", "not_yet_valid", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("The access token signature is invalid", "invalid_token", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("The access token is malformed", "malformed", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("The access token was issued by an untrusted issuer", "invalid_token", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("The access token audience does not match", "invalid_token", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("The access token uses an unsupported algorithm", "invalid_token", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/error_handler.go"),
    ("bearer tokens are not allowed (DPoP required)", "wrong_scheme", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/core/dpop.go"),
    ("DPoP tokens are not allowed (Bearer only)", "wrong_scheme", "https://github.com/auth0/go-jwt-middleware/blob/HEAD/core/dpop.go"),
    # ── Laravel ─────────────────────────────────────────────────────────────────────────────────
    ("Unauthenticated.", "generic", "https://github.com/laravel/framework/blob/HEAD/src/Illuminate/Auth/AuthenticationException.php"),
    ("Invalid credentials.", "invalid_password", "https://github.com/laravel/framework/blob/HEAD/src/Illuminate/Auth/SessionGuard.php"),
    # The login validation message; Laravel itself sends it with 422, APIs built on it often with 401.
    ("These credentials do not match our records.", "invalid_password", "https://github.com/laravel/framework/blob/HEAD/src/Illuminate/Translation/lang/en/auth.php"),
    ("The provided password is incorrect.", "invalid_password", "https://github.com/laravel/framework/blob/HEAD/src/Illuminate/Translation/lang/en/auth.php"),

    # ── Rails (ActionController::HttpAuthentication) ────────────────────────────────────────────
    ("HTTP Basic: Access denied.\n", "generic", "https://github.com/rails/rails/blob/HEAD/actionpack/lib/action_controller/metal/http_authentication.rb"),
    ("HTTP Digest: Access denied.\n", "generic", "https://github.com/rails/rails/blob/HEAD/actionpack/lib/action_controller/metal/http_authentication.rb"),
    ("HTTP Token: Access denied.\n", "generic", "https://github.com/rails/rails/blob/HEAD/actionpack/lib/action_controller/metal/http_authentication.rb"),

    # ── Devise (config/locales/en.yml, devise.failure.*) ─────────────────────────────────────────
    ("You need to sign in or sign up before continuing.", "no_credentials", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),
    ("Invalid Email or password.", "invalid_password", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),
    ("Your session expired. Please sign in again to continue.", "expired", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),
    ("Your account is not activated yet.", "account_state", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),
    ("Your account is locked.", "account_state", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),
    # last_attempt: shown for a wrong password, one try before the lock.
    ("You have one more attempt before your account is locked.", "invalid_password", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),
    ("You have to confirm your email address before continuing.", "account_state", "https://github.com/heartcombo/devise/blob/HEAD/config/locales/en.yml"),

    # ── devise_token_auth ───────────────────────────────────────────────────────────────────────
    ("Invalid login credentials. Please try again.", "invalid_password", "https://github.com/lynndylanhurley/devise_token_auth/blob/HEAD/config/locales/en.yml"),
    # token_validations.invalid: the code sends it when the access-token/client/uid triple is rejected.
    ("Invalid login credentials", "invalid_token", "https://github.com/lynndylanhurley/devise_token_auth/blob/HEAD/config/locales/en.yml"),
    ("A confirmation email was sent to your account at 'jane@example.com'. You must follow the instructions in the email before your account can be activated", "account_state", "https://github.com/lynndylanhurley/devise_token_auth/blob/HEAD/config/locales/en.yml"),

    # ── Flask-Login, Flask-HTTPAuth, Werkzeug ───────────────────────────────────────────────────
    ("Please log in to access this page.", "no_credentials", "https://github.com/maxcountryman/flask-login/blob/HEAD/src/flask_login/config.py"),
    ("Please reauthenticate to access this page.", "step_up", "https://github.com/maxcountryman/flask-login/blob/HEAD/src/flask_login/config.py"),
    ("Unauthorized Access", "generic", "https://github.com/miguelgrinberg/Flask-HTTPAuth/blob/HEAD/src/flask_httpauth.py"),
    ("The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials required.", "generic", "https://github.com/pallets/werkzeug/blob/HEAD/src/werkzeug/exceptions.py"),

    # ── FastAPI ─────────────────────────────────────────────────────────────────────────────────
    ("Not authenticated", "no_credentials", "https://github.com/fastapi/fastapi/blob/HEAD/fastapi/security/http.py"),
    # The documented get_current_user: the bearer JWT failed to decode or validate.
    ("Could not validate credentials", "invalid_token", "https://github.com/fastapi/fastapi/blob/HEAD/docs_src/security/tutorial004_an_py310.py"),
    ("Incorrect username or password", "invalid_password", "https://github.com/fastapi/fastapi/blob/HEAD/docs_src/security/tutorial004_an_py310.py"),
    # 401 with WWW-Authenticate: Bearer scope="..." when a required scope is missing.
    ("Not enough permissions", "insufficient_scope", "https://github.com/fastapi/fastapi/blob/HEAD/docs_src/security/tutorial005_an_py310.py"),

    # ── Connexion ───────────────────────────────────────────────────────────────────────────────
    ("No authorization token provided", "no_credentials", "https://github.com/spec-first/connexion/blob/HEAD/connexion/security.py"),
    # Raised when the header value does not split into "<type> <value>".
    ("Invalid authorization header", "malformed", "https://github.com/spec-first/connexion/blob/HEAD/connexion/security.py"),
    ("Provided token is not valid", "invalid_token", "https://github.com/spec-first/connexion/blob/HEAD/connexion/security.py"),
    ("Provided apikey is not valid", "invalid_api_key", "https://github.com/spec-first/connexion/blob/HEAD/connexion/security.py"),

    # ── Spring Security ─────────────────────────────────────────────────────────────────────────
    ("Full authentication is required to access this resource", "no_credentials", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    # AbstractUserDetailsAuthenticationProvider: a user name / password pair was rejected. (GitHub's API sends
    # the same two words for a rejected token.)
    ("Bad credentials", "invalid_password", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    ("User account is locked", "account_state", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    ("User is disabled", "account_state", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    # The account itself (not a token) has passed its validity date.
    ("User account has expired", "account_state", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    # The password must be changed before the account can sign in again.
    ("User credentials have expired", "account_state", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    ("Incorrect response", "invalid_password", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    ("Username alice not found", "invalid_password", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    ("Invalid remember-me token (Series/token) mismatch. Implies previous cookie theft attack.", "invalid_token", "https://github.com/spring-projects/spring-security/blob/HEAD/core/src/main/resources/org/springframework/security/messages.properties"),
    ("Bearer token is malformed", "malformed", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-resource-server/src/main/java/org/springframework/security/oauth2/server/resource/web/DefaultBearerTokenResolver.java"),
    ("An error occurred while attempting to decode the Jwt: Jwt expired at 2026-11-23T09:15:30Z", "expired", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtTimestampValidator.java"),
    ("Jwt expired at 2026-11-23T09:15:30Z", "expired", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtTimestampValidator.java"),
    ("An error occurred while attempting to decode the Jwt: Jwt used before 2026-11-23T10:20:00Z", "not_yet_valid", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtTimestampValidator.java"),
    ("An error occurred while attempting to decode the Jwt: Malformed token", "malformed", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/NimbusJwtDecoder.java"),
    ("An error occurred while attempting to decode the Jwt: Signed JWT rejected: Invalid signature", "invalid_token", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/NimbusJwtDecoder.java"),
    ("An error occurred while attempting to decode the Jwt: Signed JWT rejected: Another algorithm expected, or no matching key(s) found", "invalid_token", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/NimbusJwtDecoder.java"),
    ("An error occurred while attempting to decode the Jwt: The iss claim is not valid", "invalid_token", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtClaimValidator.java"),
    ("The aud claim is not valid", "invalid_token", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-jose/src/main/java/org/springframework/security/oauth2/jwt/JwtClaimValidator.java"),
    # Opaque-token introspection said active=false (revoked or expired; the introspection does not say which).
    ("Provided token isn't active", "invalid_token", "https://github.com/spring-projects/spring-security/blob/HEAD/oauth2/oauth2-resource-server/src/main/java/org/springframework/security/oauth2/server/resource/introspection/SpringOpaqueTokenIntrospector.java"),

    # ── Nimbus JOSE+JWT (the verifier behind Spring, Quarkus and many Java services) ───────────────
    ("Expired JWT", "expired", "https://github.com/felx/nimbus-jose-jwt/blob/HEAD/src/main/java/com/nimbusds/jwt/proc/DefaultJWTClaimsVerifier.java"),
    ("JWT before use time", "not_yet_valid", "https://github.com/felx/nimbus-jose-jwt/blob/HEAD/src/main/java/com/nimbusds/jwt/proc/DefaultJWTClaimsVerifier.java"),
    ("JWT audience rejected: [api://orders]", "invalid_token", "https://github.com/felx/nimbus-jose-jwt/blob/HEAD/src/main/java/com/nimbusds/jwt/proc/DefaultJWTClaimsVerifier.java"),
    ("JWT missing required audience", "invalid_token", "https://github.com/felx/nimbus-jose-jwt/blob/HEAD/src/main/java/com/nimbusds/jwt/proc/DefaultJWTClaimsVerifier.java"),
    ("JWT missing required claims: [exp]", "invalid_token", "https://github.com/felx/nimbus-jose-jwt/blob/HEAD/src/main/java/com/nimbusds/jwt/proc/DefaultJWTClaimsVerifier.java"),
    ("Signed JWT rejected: Invalid signature", "invalid_token", "https://github.com/felx/nimbus-jose-jwt/blob/HEAD/src/main/java/com/nimbusds/jwt/proc/DefaultJWTProcessor.java"),

    # ── JJWT ────────────────────────────────────────────────────────────────────────────────────
    ("JWT expired 3600123 milliseconds ago at 2026-11-23T09:16:11.000Z. Current time: 2026-11-23T10:16:11.123Z. Allowed clock skew: 0 milliseconds.", "expired", "https://github.com/jwtk/jjwt/blob/HEAD/impl/src/main/java/io/jsonwebtoken/impl/DefaultJwtParser.java"),
    ("JWT early by 120000 milliseconds before 2026-11-23T10:18:11.000Z. Current time: 2026-11-23T10:16:11.000Z. Allowed clock skew: 0 milliseconds.", "not_yet_valid", "https://github.com/jwtk/jjwt/blob/HEAD/impl/src/main/java/io/jsonwebtoken/impl/DefaultJwtParser.java"),
    ("JWT expired at 2026-11-23T09:16:11Z. Current time: 2026-11-23T10:16:11Z, a difference of 3600123 milliseconds.  Allowed clock skew: 0 milliseconds.", "expired", "https://github.com/jwtk/jjwt/blob/0.11.5/impl/src/main/java/io/jsonwebtoken/impl/DefaultJwtParser.java"),
    ("JWT must not be accepted before 2026-11-23T10:18:11Z. Current time: 2026-11-23T10:16:11Z, a difference of 120000 milliseconds.  Allowed clock skew: 0 milliseconds.", "not_yet_valid", "https://github.com/jwtk/jjwt/blob/0.11.5/impl/src/main/java/io/jsonwebtoken/impl/DefaultJwtParser.java"),
    ("JWT signature does not match locally computed signature. JWT validity cannot be asserted and should not be trusted.", "invalid_token", "https://github.com/jwtk/jjwt/blob/HEAD/impl/src/main/java/io/jsonwebtoken/impl/DefaultJwtParser.java"),
    ("Invalid compact JWT string: Compact JWSs must contain exactly 2 period characters, and compact JWEs must contain exactly 4.  Found: 0", "malformed", "https://github.com/jwtk/jjwt/blob/HEAD/impl/src/main/java/io/jsonwebtoken/impl/JwtTokenizer.java"),
    ("JWT strings must contain exactly 2 period characters. Found: 0", "malformed", "https://github.com/jwtk/jjwt/blob/0.9.1/src/main/java/io/jsonwebtoken/impl/DefaultJwtParser.java"),

    # ── java-jwt (Auth0) ────────────────────────────────────────────────────────────────────────
    ("The Token has expired on 2026-11-23T09:16:11Z.", "expired", "https://github.com/auth0/java-jwt/blob/HEAD/lib/src/main/java/com/auth0/jwt/JWTVerifier.java"),
    ("The Token can't be used before 2026-11-23T10:18:11Z.", "not_yet_valid", "https://github.com/auth0/java-jwt/blob/HEAD/lib/src/main/java/com/auth0/jwt/JWTVerifier.java"),
    ("The Claim 'aud' value doesn't contain the required audience.", "invalid_token", "https://github.com/auth0/java-jwt/blob/HEAD/lib/src/main/java/com/auth0/jwt/JWTVerifier.java"),
    ("The Claim 'iss' value doesn't match the required issuer.", "invalid_token", "https://github.com/auth0/java-jwt/blob/HEAD/lib/src/main/java/com/auth0/jwt/JWTVerifier.java"),
    ("The Token's Signature resulted invalid when verified using the Algorithm: SHA256withRSA", "invalid_token", "https://github.com/auth0/java-jwt/blob/HEAD/lib/src/main/java/com/auth0/jwt/exceptions/SignatureVerificationException.java"),
    ("The token was expected to have 3 parts, but got 1.", "malformed", "https://github.com/auth0/java-jwt/blob/HEAD/lib/src/main/java/com/auth0/jwt/TokenUtils.java"),

    # ── Microsoft.IdentityModel (the exception messages behind ASP.NET Core JwtBearer) ─────────────
    ("IDX10223: Lifetime validation failed. The token is expired. ValidTo (UTC): '11/23/2026 09:16:11', Current time (UTC): '11/23/2026 10:16:11'.", "expired", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10222: Lifetime validation failed. The token is not yet valid. ValidFrom (UTC): '11/23/2026 10:18:11', Current time (UTC): '11/23/2026 10:16:11'.", "not_yet_valid", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10214: Audience validation failed. Audiences: 'api://11111111-2222-3333-4444-555555555555'. Did not match: validationParameters.ValidAudience: 'api://orders' or validationParameters.ValidAudiences: 'null'.", "invalid_token", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10205: Issuer validation failed. Issuer: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/'. Did not match: validationParameters.ValidIssuer: 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0' or validationParameters.ValidIssuers: 'null' or validationParameters.ConfigurationManager.CurrentConfiguration.Issuer: 'null'. For more details, see https://aka.ms/IdentityModel/issuer-validation. ", "invalid_token", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10225: Lifetime validation failed. The token is missing an Expiration Time. Tokentype: 'System.IdentityModel.Tokens.Jwt.JwtSecurityToken'.", "invalid_token", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10500: Signature validation failed. No security keys were provided to validate the signature.", "invalid_token", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10504: Unable to validate signature, token does not have a signature: '[Security Artifact of type 'Microsoft.IdentityModel.JsonWebTokens.JsonWebToken' is hidden. For more details, see https://aka.ms/IdentityModel/SecurityArtifactLogging.]'.", "invalid_token", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX10508: Signature validation failed. Signature is improperly formatted.", "malformed", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.Tokens/LogMessages.cs"),
    ("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.", "malformed", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/Microsoft.IdentityModel.JsonWebTokens/LogMessages.cs"),
    ("IDX12741: JWT must have three segments (JWS) or five segments (JWE).", "malformed", "https://github.com/AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet/blob/HEAD/src/System.IdentityModel.Tokens.Jwt/LogMessages.cs"),

    # ── ASP.NET Core JwtBearer (error_description of the Bearer challenge; older and newer wording) ─
    ("The token expired at '11/23/2026 09:16:11'", "expired", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The token is expired", "expired", "https://github.com/dotnet/aspnetcore/blob/release/3.1/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The token is not valid before '11/23/2026 10:18:11'", "not_yet_valid", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The token is not valid yet", "not_yet_valid", "https://github.com/dotnet/aspnetcore/blob/release/3.1/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The audience 'api://11111111-2222-3333-4444-555555555555' is invalid", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The audience is invalid", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/release/3.1/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The issuer 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' is invalid", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The issuer is invalid", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/release/3.1/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The signature key was not found", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The signature is invalid", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),
    ("The token has no expiration", "invalid_token", "https://github.com/dotnet/aspnetcore/blob/HEAD/src/Security/Authentication/JwtBearer/src/JwtBearerHandler.cs"),

    # ── Keycloak ────────────────────────────────────────────────────────────────────────────────
    ("Invalid user credentials", "invalid_password", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/authentication/authenticators/directgrant/ValidatePassword.java"),
    ("Account disabled", "account_state", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/authentication/authenticators/directgrant/ValidateUsername.java"),
    # Sent with 400 invalid_grant when the user still has required actions (verify e-mail, update password, OTP setup).
    ("Account is not fully set up", "account_state", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/grants/ResourceOwnerPasswordCredentialsGrantType.java"),
    ("Invalid client or Invalid client credentials", "invalid_password", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/authentication/authenticators/client/ClientIdAndSecretAuthenticator.java"),
    # The error code Keycloak pairs with the message above when the client secret is wrong (401).
    ("unauthorized_client", "invalid_password", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/authentication/authenticators/client/ClientIdAndSecretAuthenticator.java"),
    # TokenVerifier's IS_ACTIVE check: the token's exp (or the realm's not-before) has passed.
    ("Token is not active", "expired", "https://github.com/keycloak/keycloak/blob/HEAD/core/src/main/java/org/keycloak/TokenVerifier.java"),
    ("Session not active", "expired", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java"),
    ("Refresh token expired", "expired", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java"),
    ("Stale token", "invalid_token", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java"),
    ("Invalid refresh token", "invalid_token", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java"),
    ("Offline user session not found", "invalid_token", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java"),
    ("Token verification failed", "invalid_token", "https://github.com/keycloak/keycloak/blob/HEAD/services/src/main/java/org/keycloak/protocol/oidc/endpoints/UserInfoEndpoint.java"),

    # ── league/oauth2-server (Laravel Passport) and lcobucci/jwt ─────────────────────────────────
    # access_denied is the error code of every resource-server rejection in this library.
    ("access_denied", "generic", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/Exception/OAuthServerException.php"),
    ("The resource owner or authorization server denied the request.", "generic", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/Exception/OAuthServerException.php"),
    ('Missing "Authorization" header', "no_credentials", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/AuthorizationValidators/BearerTokenValidator.php"),
    # Raised when nothing is left after stripping "Bearer ": an empty token.
    ('Missing "Bearer" token', "malformed", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/AuthorizationValidators/BearerTokenValidator.php"),
    ("Access token could not be verified", "invalid_token", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/AuthorizationValidators/BearerTokenValidator.php"),
    ("Access token has been revoked", "invalid_token", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/AuthorizationValidators/BearerTokenValidator.php"),
    # Before v8.2 (2020) this covered every failed validation, expiry included.
    ("Access token is invalid", "invalid_token", "https://github.com/thephpleague/oauth2-server/blob/8.1.1/src/AuthorizationValidators/BearerTokenValidator.php"),
    ("Access token is not signed", "invalid_token", "https://github.com/thephpleague/oauth2-server/blob/8.1.1/src/AuthorizationValidators/BearerTokenValidator.php"),
    ("Error while decoding to JSON", "malformed", "https://github.com/thephpleague/oauth2-server/blob/8.1.1/src/AuthorizationValidators/BearerTokenValidator.php"),
    ("Client authentication failed", "invalid_password", "https://github.com/thephpleague/oauth2-server/blob/HEAD/src/Exception/OAuthServerException.php"),
    ("The JWT string must have two dots", "malformed", "https://github.com/lcobucci/jwt/blob/HEAD/src/Token/InvalidTokenStructure.php"),
    ("Error while decoding from Base64Url, invalid base64 characters detected", "malformed", "https://github.com/lcobucci/jwt/blob/HEAD/src/Encoding/CannotDecodeContent.php"),
    ("The token cannot be used yet", "not_yet_valid", "https://github.com/lcobucci/jwt/blob/HEAD/src/Validation/Constraint/LooseValidAt.php"),
    ("The token was issued in the future", "not_yet_valid", "https://github.com/lcobucci/jwt/blob/HEAD/src/Validation/Constraint/LooseValidAt.php"),
    ("The token is not allowed to be used by this audience", "invalid_token", "https://github.com/lcobucci/jwt/blob/HEAD/src/Validation/Constraint/PermittedFor.php"),
    ("The token was not issued by the given issuers", "invalid_token", "https://github.com/lcobucci/jwt/blob/HEAD/src/Validation/Constraint/IssuedBy.php"),
    ("Token signature mismatch", "invalid_token", "https://github.com/lcobucci/jwt/blob/HEAD/src/Validation/Constraint/SignedWith.php"),

    # ── firebase/php-jwt ────────────────────────────────────────────────────────────────────────
    ("Expired token", "expired", "https://github.com/firebase/php-jwt/blob/HEAD/src/JWT.php"),
    ("Cannot handle token with nbf prior to 2026-11-23T10:18:11+00:00", "not_yet_valid", "https://github.com/firebase/php-jwt/blob/HEAD/src/JWT.php"),
    ("Cannot handle token with iat prior to 2026-11-23T10:18:11+00:00", "not_yet_valid", "https://github.com/firebase/php-jwt/blob/HEAD/src/JWT.php"),
    ("Wrong number of segments", "malformed", "https://github.com/firebase/php-jwt/blob/HEAD/src/JWT.php"),
    ("Invalid header encoding", "malformed", "https://github.com/firebase/php-jwt/blob/HEAD/src/JWT.php"),
    ('"kid" invalid, unable to lookup correct key', "invalid_token", "https://github.com/firebase/php-jwt/blob/HEAD/src/JWT.php"),

    # ── ruby-jwt ────────────────────────────────────────────────────────────────────────────────
    ("Signature nbf has not been reached", "not_yet_valid", "https://github.com/jwt/ruby-jwt/blob/HEAD/lib/jwt/claims/not_before.rb"),
    ("Not enough or too many segments", "malformed", "https://github.com/jwt/ruby-jwt/blob/HEAD/lib/jwt/decode.rb"),
    ("Invalid segment encoding", "malformed", "https://github.com/jwt/ruby-jwt/blob/HEAD/lib/jwt/encoded_token.rb"),
    ("Invalid audience. Expected https://api.example.com, received https://admin.example.com", "invalid_token", "https://github.com/jwt/ruby-jwt/blob/HEAD/lib/jwt/claims/audience.rb"),
    ('Invalid issuer. Expected ["https://id.example.com"], received https://id.example.org', "invalid_token", "https://github.com/jwt/ruby-jwt/blob/HEAD/lib/jwt/claims/issuer.rb"),
    ("Nil JSON web token", "no_credentials", "https://github.com/jwt/ruby-jwt/blob/HEAD/lib/jwt/decode.rb"),

    # ── hapi-auth-jwt2 ──────────────────────────────────────────────────────────────────────────
    ("Invalid token format", "malformed", "https://github.com/dwyl/hapi-auth-jwt2/blob/HEAD/lib/index.cjs"),

    # ── Envoy jwt_authn (google/jwt_verify_lib status strings, sent as the 401 body) ──────────────
    ("Jwt is missing", "no_credentials", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt is expired", "expired", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt not yet valid", "not_yet_valid", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections", "malformed", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt header is an invalid JSON", "malformed", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt header is an invalid Base64url encoded", "malformed", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt payload is an invalid JSON", "malformed", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt header [alg] is not supported", "invalid_token", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt issuer is not configured", "invalid_token", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    # Envoy answers this one with 403.
    ("Audiences in Jwt are not allowed", "invalid_token", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwt verification fails", "invalid_token", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),
    ("Jwks doesn't have key to match kid or alg from Jwt", "invalid_token", "https://github.com/google/jwt_verify_lib/blob/HEAD/src/status.cc"),

    # ── Kong gateway plugins ────────────────────────────────────────────────────────────────────
    ("No API key found in request", "no_credentials", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/key-auth/handler.lua"),
    # key-auth's message for a rejected key until Kong 3.6 (now plain "Unauthorized").
    ("Invalid authentication credentials", "invalid_api_key", "https://github.com/Kong/kong/blob/3.5.0/kong/plugins/key-auth/handler.lua"),
    ("Unauthorized", "generic", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/basic-auth/access.lua"),
    ("Unrecognizable token", "malformed", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/jwt/handler.lua"),
    ("No mandatory 'iss' in claims", "invalid_token", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/jwt/handler.lua"),
    ("No credentials found for given 'iss'", "invalid_token", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/jwt/handler.lua"),
    ("token expired", "expired", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/jwt/jwt_parser.lua"),
    ("token not valid yet", "not_yet_valid", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/jwt/jwt_parser.lua"),
    ("The access token is missing", "no_credentials", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/oauth2/access.lua"),
    # Sent when the token is not in Kong's store; expired tokens are dropped from it by TTL.
    ("The access token is invalid or has expired", "invalid_token", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/oauth2/access.lua"),
    ("Invalid client authentication", "invalid_password", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/oauth2/access.lua"),
    # ip-restriction answers 403 unless configured otherwise.
    ("IP address not allowed: 203.0.113.7", "ip_blocked", "https://github.com/Kong/kong/blob/HEAD/kong/plugins/ip-restriction/handler.lua"),

    # ── PostgREST (and Supabase's REST API built on it) ─────────────────────────────────────────
    # PGRST301: the JWT could not be decoded or verified.
    ("PGRST301", "invalid_token", "https://github.com/PostgREST/postgrest/blob/HEAD/docs/references/errors.rst"),
    ("PGRST302", "no_credentials", "https://github.com/PostgREST/postgrest/blob/HEAD/docs/references/errors.rst"),
    # PGRST303 is the code of every claims-validation failure (expiry, nbf, iat, aud).
    ("PGRST303", "invalid_token", "https://github.com/PostgREST/postgrest/blob/HEAD/docs/references/errors.rst"),
    ("Anonymous access is disabled", "no_credentials", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("Empty JWT is sent in Authorization header", "malformed", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("Expected 3 parts in JWT; got 1", "malformed", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("No suitable key or wrong key type", "invalid_token", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("Wrong or unsupported encoding algorithm", "invalid_token", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("JWT cryptographic operation failed", "invalid_token", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("JWT issued at future", "not_yet_valid", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),
    ("JWT not in audience", "invalid_token", "https://github.com/PostgREST/postgrest/blob/HEAD/src/library/PostgREST/Error.hs"),

    # ── Supabase Auth (GoTrue) ──────────────────────────────────────────────────────────────────
    # Also sent when the header is there but is not "Bearer <token>".
    ("This endpoint requires a valid Bearer token", "no_credentials", "https://github.com/supabase/auth/blob/HEAD/internal/api/auth.go"),
    ("no_authorization", "no_credentials", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),
    ("AAL2 session is required to update email or password when MFA is enabled.", "step_up", "https://github.com/supabase/auth/blob/HEAD/internal/api/user.go"),
    ("insufficient_aal", "step_up", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),
    # The 403 Supabase Auth sends for a bad user JWT, here for an expired one.
    ("invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired", "expired", "https://github.com/supabase/auth/blob/HEAD/internal/api/auth.go"),
    ("bad_jwt", "invalid_token", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),
    ("user_banned", "account_state", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),
    ("email_not_confirmed", "account_state", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),
    ("session_expired", "expired", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),
    ("invalid_credentials", "invalid_password", "https://github.com/supabase/auth/blob/HEAD/internal/api/apierrors/errorcode.go"),

    # ── Docker registry (distribution) and Docker Hub ───────────────────────────────────────────
    # The registry's message for every unauthenticated request, anonymous or with rejected credentials.
    ("authentication required", "generic", "https://github.com/distribution/distribution/blob/HEAD/registry/api/errcode/register.go"),
    # Password sign-in refused for the account: a personal access token is required instead.
    ("your account must log in with a Personal Access Token (PAT) - learn more at docs.docker.com/go/access-tokens", "wrong_scheme", "https://github.com/docker/hub-feedback/issues/2503"),

    # ── Elasticsearch security ──────────────────────────────────────────────────────────────────
    ("missing authentication credentials for REST request [/_cluster/health]", "no_credentials", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authc/DefaultAuthenticationFailureHandler.java"),
    ("unable to authenticate user [elastic] for REST request [/_security/_authenticate]", "invalid_password", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authc/DefaultAuthenticationFailureHandler.java"),
    # Raised after a bearer token or API key was presented and failed, with anonymous access off.
    ("unable to authenticate with provided credentials and anonymous access is not allowed for this request", "invalid_token", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/AuthenticatorChain.java"),
    ("API key: api key is expired", "expired", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/ApiKeyService.java"),
    ("API key: api key has been invalidated", "invalid_api_key", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/ApiKeyService.java"),
    ("API key: unable to find apikey with id VuaCfGcBCdbkQm-e5aOx", "invalid_api_key", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/ApiKeyService.java"),
    ("failed to authenticate service account [elastic/fleet-server] with token name [token1]", "invalid_token", "https://github.com/elastic/elasticsearch/blob/HEAD/x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/service/ServiceAccountService.java"),

    # ── Grafana ─────────────────────────────────────────────────────────────────────────────────
    ("Invalid API key", "invalid_api_key", "https://github.com/grafana/grafana/blob/HEAD/pkg/services/authn/clients/api_key.go"),
    ("Expired API key", "expired", "https://github.com/grafana/grafana/blob/HEAD/pkg/services/authn/clients/api_key.go"),
    ("Revoked API key", "invalid_api_key", "https://github.com/grafana/grafana/blob/HEAD/pkg/services/authn/clients/api_key.go"),
    ("API key does not belong to the requested organization", "invalid_api_key", "https://github.com/grafana/grafana/blob/HEAD/pkg/services/authn/clients/api_key.go"),
    ("api-key.invalid", "invalid_api_key", "https://github.com/grafana/grafana/blob/HEAD/pkg/services/authn/clients/api_key.go"),
    ("api-key.expired", "expired", "https://github.com/grafana/grafana/blob/HEAD/pkg/services/authn/clients/api_key.go"),

    # ── nginx and Apache httpd default 401 pages ────────────────────────────────────────────────
    ("401 Authorization Required", "generic", "https://github.com/nginx/nginx/blob/HEAD/src/http/ngx_http_special_response.c"),
    ("This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.", "generic", "https://github.com/apache/httpd/blob/HEAD/modules/http/http_protocol.c"),

    # ── Firebase (Admin SDK verifyIdToken, Realtime Database REST) ───────────────────────────────
    ("Firebase ID token has expired. Get a fresh ID token from your client app and try again (auth/id-token-expired). See https://firebase.google.com/docs/auth/admin/verify-id-tokens for details on how to retrieve an ID token.", "expired", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/token-verifier.ts"),
    ('Firebase ID token has incorrect "aud" (audience) claim. Expected "shop-prod" but got "shop-staging". Make sure the ID token comes from the same Firebase project as the service account used to authenticate this SDK. See https://firebase.google.com/docs/auth/admin/verify-id-tokens for details on how to retrieve an ID token.', "invalid_token", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/token-verifier.ts"),
    ("Firebase ID token has invalid signature. See https://firebase.google.com/docs/auth/admin/verify-id-tokens for details on how to retrieve an ID token.", "invalid_token", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/token-verifier.ts"),
    ("auth/id-token-expired", "expired", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/error.ts"),
    ("auth/id-token-revoked", "invalid_token", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/error.ts"),
    ("The Firebase ID token has been revoked.", "invalid_token", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/error.ts"),
    ("auth/user-disabled", "account_state", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/error.ts"),
    ("The user record is disabled.", "account_state", "https://github.com/firebase/firebase-admin-node/blob/HEAD/src/auth/error.ts"),

    ("Auth token is expired.", "expired", "https://github.com/firebase/quickstart-java/issues/5"),
    ("expired_token", "expired", "https://github.com/firebase/quickstart-java/issues/5"),
    ("Could not parse auth token.", "malformed", "https://github.com/ktamas77/firebase-php/issues/42"),

    # ── GitHub ──────────────────────────────────────────────────────────────────────────────────
    ("Requires authentication", "no_credentials", "https://docs.github.com/en/rest/users/users#get-the-authenticated-user"),
    ("Must specify two-factor authentication OTP code.", "step_up", "https://github.com/hub4j/github-api/issues/641"),
    # git over HTTPS with an account password (sent with 403 or as the remote's message before "Authentication failed").
    ("Support for password authentication was removed on August 13, 2021.", "wrong_scheme", "https://github.com/desktop/desktop/issues/18933"),
    # Current wording of the same refusal; it also covers a mistyped token.
    ("Invalid username or token. Password authentication is not supported for Git operations.", "wrong_scheme", "https://github.com/wimpysworld/umpc-ubuntu/issues/55"),
    # Sent with 403.
    ("Although you appear to have the correct authorization credentials, the `acme-corp` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.", "ip_blocked", "https://github.com/SalesforceFoundation/NPSP/issues/7247"),

    # ── GitLab (lib/api/api_guard.rb and friends) ───────────────────────────────────────────────
    ("401 Unauthorized", "generic", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/helpers.rb"),
    ("Bad Access Token.", "invalid_token", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/api_guard.rb"),
    ("Token is expired. You can either do re-authorization or token refresh.", "expired", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/api_guard.rb"),
    ("Token was revoked. You have to re-authorize from the user.", "invalid_token", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/api_guard.rb"),
    ("Token is an impersonation token but impersonation was disabled.", "invalid_token", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/api_guard.rb"),
    # GitLab sends insufficient_scope with 403; the words are rack-oauth2's default description.
    ("The request requires higher privileges than provided by the access token.", "insufficient_scope", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/api_guard.rb"),
    # GraphQL endpoint's answer for a token it could not use.
    ("Invalid token", "invalid_token", "https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/controllers/graphql_controller.rb"),
    # git over HTTPS: the password or token was wrong, or a password was used where 2FA demands a token.
    ("HTTP Basic: Access denied. The provided password or token is incorrect or your account has 2FA enabled and you must use a personal access token instead of a password. See https://gitlab.com/help/topics/git/troubleshooting_git#error-on-git-fetch-http-basic-access-denied", "invalid_password", "https://github.com/mikeizbicki/cmc-csci046/issues/481"),

    # ── Atlassian Cloud (Jira, Confluence) ──────────────────────────────────────────────────────
    ("Basic authentication with passwords is deprecated.  For more information, see: https://confluence.atlassian.com/cloud/deprecation-of-basic-authentication-with-passwords-for-jira-and-confluence-apis-972355348.html\n", "wrong_scheme", "https://github.com/gioboa/jira-plugin/issues/148"),

    # ── Heroku Platform API ─────────────────────────────────────────────────────────────────────
    # The API key / OAuth token in the Authorization header was not accepted.
    ("Invalid credentials provided.", "invalid_api_key", "https://github.com/heroku/heroku-accounts/issues/35"),
    ("A second authentication factor or pre-authorization is required for this request. Your account has either two-factor or a Yubikey registered.", "step_up", "https://github.com/heroku/heroku-repo/issues/24"),
    ("Your account has MFA enabled; API requests using basic authentication with email and password are not supported. Please generate an authorization token for API access.", "wrong_scheme", "https://github.com/heroku/heroku-accounts/issues/35"),

    # ── DigitalOcean ────────────────────────────────────────────────────────────────────────────
    ("Unable to authenticate you", "generic", "https://docs.digitalocean.com/reference/api/digitalocean/#section/Introduction/HTTP-Statuses"),

    # ── Cloudflare API v4 (several of these come with 400 or 403) ────────────────────────────────
    ("Missing X-Auth-Key, X-Auth-Email or Authorization headers", "no_credentials", "https://github.com/cloudflare/cloudflare-python/issues/2678"),
    ("Invalid request headers", "malformed", "https://github.com/acmesh-official/acme.sh/issues/6435"),
    ("Invalid format for X-Auth-Key header", "malformed", "https://github.com/acmesh-official/acme.sh/issues/6435"),
    ("Invalid format for X-Auth-Email header", "malformed", "https://github.com/rmbolger/Posh-ACME/issues/126"),
    ("Authentication error", "generic", "https://github.com/sebdesign/artisan-cloudflare/issues/16"),
    ("Invalid access token", "invalid_token", "https://developers.cloudflare.com/fundamentals/api/troubleshooting/"),
    ("Unknown X-Auth-Key or X-Auth-Email", "invalid_api_key", "https://github.com/netcccyun/dnsmgr/issues/245"),

    # ── Okta ────────────────────────────────────────────────────────────────────────────────────
    ("E0000011", "invalid_token", "https://developer.okta.com/docs/reference/error-codes/"),
    ("Invalid token provided", "invalid_token", "https://support.okta.com/help/s/article/HTTP-401-Okta-E0000011-Invalid-Token-provided-error"),
    # E0000004 is what primary authentication (/api/v1/authn) answers for a wrong user name or password.
    ("E0000004", "invalid_password", "https://developer.okta.com/docs/reference/error-codes/"),
    ("Authentication failed", "generic", "https://developer.okta.com/docs/reference/error-codes/"),
    ("E0000069", "account_state", "https://developer.okta.com/okta-auth-java/2.0.5/apidocs/com/okta/authn/sdk/UserLockedException.html"),

    # ── Auth0 ───────────────────────────────────────────────────────────────────────────────────
    ("mfa_required", "step_up", "https://auth0.com/docs/secure/multi-factor-authentication/authenticate-using-ropg-flow-with-mfa"),
    ("Multifactor authentication required", "step_up", "https://auth0.com/docs/secure/multi-factor-authentication/authenticate-using-ropg-flow-with-mfa"),
    ("Wrong email or password.", "invalid_password", "https://auth0.com/docs/api/authentication#standard-error-responses"),
    ("user is blocked", "account_state", "https://auth0.com/docs/api/authentication#standard-error-responses"),
    ("Unknown or invalid refresh token.", "invalid_token", "https://auth0.com/docs/api/authentication#refresh-token"),

    # ── Microsoft Graph ─────────────────────────────────────────────────────────────────────────
    ("InvalidAuthenticationToken", "invalid_token", "https://learn.microsoft.com/en-us/graph/errors"),
    # Graph does not say which of the two; in practice (and first in the sentence) it is the expiry.
    ("Access token has expired or is not yet valid.", "expired", "https://github.com/microsofthackathons/tdi/issues/24"),
    ("CompactToken parsing failed with error code: 80049217", "malformed", "https://github.com/merrycodes/Office-E5/issues/6"),
    ("CompactToken validation failed with reason code: 80049228.", "invalid_token", "https://github.com/microsoftgraph/python-sample-auth/issues/10"),

    # ── Azure Resource Manager ──────────────────────────────────────────────────────────────────
    ("ExpiredAuthenticationToken", "expired", "https://github.com/hashicorp/terraform-provider-azurerm/issues/20867"),
    ("The access token expiry UTC time '11/23/2026 9:16:11 AM' is earlier than current UTC time '11/23/2026 10:16:11 AM'.", "expired", "https://github.com/hashicorp/terraform-provider-azurerm/issues/20867"),
    ("InvalidAuthenticationTokenTenant", "invalid_token", "https://github.com/Azure/azure-sdk-for-python/issues/38382"),
    ("The access token is from the wrong issuer 'https://sts.windows.net/975f013f-7f24-47e8-a7d3-abc4752bf346/'. It must match the tenant 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.", "invalid_token", "https://github.com/Azure/azure-sdk-for-python/issues/38382"),
    ("InvalidAuthenticationTokenAudience", "invalid_token", "https://github.com/JetBrains/azure-tools-for-intellij/issues/16"),
    ("The access token has been obtained for wrong audience or resource 'https://graph.microsoft.com'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.", "invalid_token", "https://github.com/JetBrains/azure-tools-for-intellij/issues/16"),
    ("AuthenticationFailed", "generic", "https://github.com/MicrosoftDocs/azure-docs/issues/103987"),
    ("Authentication failed. The 'Authorization' header is missing.", "no_credentials", "https://github.com/hashicorp/terraform-provider-azurerm/issues/3612"),
    ("AuthenticationFailedInvalidHeader", "malformed", "https://github.com/Azure/azure-sdk-for-python/issues/4124"),
    ("Authentication failed. The 'Authorization' header is provided in an invalid format.", "malformed", "https://github.com/Azure/azure-sdk-for-python/issues/4124"),

    # ── Microsoft Entra ID token endpoint (AADSTS; mostly 400/401 invalid_grant or invalid_client) ──
    ("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '11111111-2222-3333-4444-555555555555'.", "invalid_password", "https://github.com/hoppscotch/hoppscotch/issues/3868"),
    ("AADSTS7000222: The provided client secret keys for app '11111111-2222-3333-4444-555555555555' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", "expired", "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"),
    ("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", "no_credentials", "https://github.com/joelmeiller/cypress-msal-login/issues/11"),
    ("AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-08-20T16:18:37.2732417Z and was inactive for 90.00:00:00.", "expired", "https://github.com/Azure/azure-cli/issues/14244"),
    # The grant was revoked (password change or reset): a fresh sign-in is needed.
    ("AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '2026-07-19T14:01:41.1468970Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2026-11-13T19:49:51.0000000Z'.", "invalid_token", "https://github.com/microsoft/vscode/issues/135299"),
    ("AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.", "step_up", "https://github.com/RogerSelwyn/O365-HomeAssistant/issues/113"),
    ("AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '797f4846-ba00-4fd7-ba43-dac1f8f63013'.", "step_up", "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"),
    ("AADSTS50158: External security challenge not satisfied.", "step_up", "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"),
    ("AADSTS50126: Error validating credentials due to invalid username or password.", "invalid_password", "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"),
    ("AADSTS50057: The user account is disabled.", "account_state", "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"),
    ("AADSTS50055: The password is expired.", "account_state", "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"),

    # ── Azure Storage, Key Vault, Azure OpenAI ──────────────────────────────────────────────────
    ("NoAuthenticationInformation", "no_credentials", "https://learn.microsoft.com/en-us/rest/api/storageservices/common-rest-api-error-codes"),
    ("Server failed to authenticate the request. Please refer to the information in the www-authenticate header.", "no_credentials", "https://learn.microsoft.com/en-us/rest/api/storageservices/common-rest-api-error-codes"),
    ("InvalidAuthenticationInfo", "malformed", "https://learn.microsoft.com/en-us/rest/api/storageservices/common-rest-api-error-codes"),
    ("Authentication information is not given in the correct format. Check the value of Authorization header.", "malformed", "https://learn.microsoft.com/en-us/rest/api/storageservices/common-rest-api-error-codes"),
    # Sent with 403.
    ("AuthorizationSourceIPMismatch", "ip_blocked", "https://learn.microsoft.com/en-us/rest/api/storageservices/common-rest-api-error-codes"),
    ("This request is not authorized to perform this operation using this source IP 203.0.113.7.", "ip_blocked", "https://learn.microsoft.com/en-us/rest/api/storageservices/common-rest-api-error-codes"),
    ("AKV10000: Request is missing a Bearer or PoP token.", "no_credentials", "https://learn.microsoft.com/en-us/azure/key-vault/general/rest-error-codes"),
    # Sent with 403.
    ("ForbiddenByFirewall", "ip_blocked", "https://learn.microsoft.com/en-us/azure/key-vault/general/rest-error-codes"),
    ("Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.", "invalid_api_key", "https://learn.microsoft.com/en-us/azure/ai-services/openai/reference"),
    # Sent with 403.
    ("Access denied due to Virtual Network/Firewall rules.", "ip_blocked", "https://learn.microsoft.com/en-us/azure/ai-services/cognitive-services-virtual-networks"),

    # ── Google APIs ─────────────────────────────────────────────────────────────────────────────
    # google.rpc.Status code for every 401; it names no reason.
    ("UNAUTHENTICATED", "generic", "https://cloud.google.com/apis/design/errors#handling_errors"),
    # Also what an expired access token gets (with reason ACCESS_TOKEN_EXPIRED in the details).
    ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.", "invalid_token", "https://github.com/rohitaryal/imageFX-api/issues/2"),
    ("Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.", "no_credentials", "https://github.com/googleads/googleads-php-lib/issues/778"),
    # Sent with 400 INVALID_ARGUMENT.
    ("API key not valid. Please pass a valid API key.", "invalid_api_key", "https://github.com/vivet/GoogleApi/issues/375"),
    ("API_KEY_INVALID", "invalid_api_key", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    ("ACCESS_TOKEN_EXPIRED", "expired", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    ("CREDENTIALS_MISSING", "no_credentials", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    ("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficient_scope", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    ("ACCESS_TOKEN_TYPE_UNSUPPORTED", "invalid_token", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    ("ACCOUNT_STATE_INVALID", "account_state", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    ("API_KEY_IP_ADDRESS_BLOCKED", "ip_blocked", "https://github.com/googleapis/googleapis/blob/HEAD/google/api/error_reason.proto"),
    # Sent with 403 PERMISSION_DENIED.
    ("Request had insufficient authentication scopes.", "insufficient_scope", "https://cloud.google.com/docs/authentication/troubleshoot-adc"),
    # Google's token endpoint answers invalid_grant with these words for an expired or revoked refresh token;
    # the usual cause is the 7-day lifetime of refresh tokens in apps still in "testing".
    ("Token has been expired or revoked.", "expired", "https://developers.google.com/identity/protocols/oauth2#expiration"),

    # ── AWS ─────────────────────────────────────────────────────────────────────────────────────
    ("The incoming token has expired", "expired", "https://github.com/aws-amplify/amplify-js/issues/6060"),
    ("ExpiredTokenException", "expired", "https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html"),
    ("The security token included in the request is expired", "expired", "https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html"),
    # Sent for an access key id AWS does not know (or a broken session token): the key pair is rejected.
    ("UnrecognizedClientException", "invalid_api_key", "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html"),
    ("The security token included in the request is invalid.", "invalid_api_key", "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html"),
    # The request was signed with the wrong secret access key (sent with 400/403).
    ("InvalidSignatureException", "invalid_password", "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html"),
    ("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", "invalid_password", "https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html"),
    # The signed timestamp is too old (often the client's clock is behind).
    ("Signature expired: 20261123T100000Z is now earlier than 20261123T101111Z (20261123T101611Z - 5 min.)", "expired", "https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html"),
    # A Bearer token sent to an API Gateway route that expects SigV4 (sent with 403).
    ("Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): 'o8mGyRkXb2mU1cT1fH9Q0Zr5bq7kYw3v8Jc0m2Xl4sE='.", "wrong_scheme", "https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden"),
    ("Access Token has expired", "expired", "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetUser.html"),
    ("User is not confirmed.", "account_state", "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html"),
    ("Password attempts exceeded", "account_state", "https://docs.aws.amazon.com/cognito/latest/developerguide/authentication.html"),

    # ── Stripe ──────────────────────────────────────────────────────────────────────────────────
    ("Invalid API Key provided: sk_test_********************1234", "invalid_api_key", "https://docs.stripe.com/error-codes"),
    ("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.", "no_credentials", "https://github.com/stripe/stripe-node/issues/1353"),
    # "Authorization: Bearer null": the code treats it as no key at all.
    ("You did not provide an API key, though you did set your Authorization header to \"null\". Using Bearer auth, your Authorization header should look something like 'Authorization: Bearer YOUR_SECRET_KEY'. See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.", "no_credentials", "https://github.com/salesforce/tough-cookie/issues/45"),
    ("api_key_expired", "expired", "https://docs.stripe.com/error-codes#api-key-expired"),
    ("Expired API Key provided: rk_test_*********************************************************************************************KtSz7X", "expired", "https://github.com/stripe/vscode-stripe/issues/673"),

    # ── OpenAI ──────────────────────────────────────────────────────────────────────────────────
    ("Incorrect API key provided: sk-proj-************************************************************************************************9f2c. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key", "https://github.com/continuedev/continue/issues/12777"),
    ("invalid_api_key", "invalid_api_key", "https://platform.openai.com/docs/guides/error-codes/api-errors"),
    ("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", "no_credentials", "https://platform.openai.com/docs/guides/error-codes/api-errors"),
    ("You must be a member of an organization to use the API. Please contact us through our help center at help.openai.com.", "account_state", "https://platform.openai.com/docs/guides/error-codes/api-errors"),
    ("You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.", "insufficient_scope", "https://platform.openai.com/docs/guides/error-codes/api-errors"),
    # Sent with 403.
    ("Country, region, or territory not supported", "ip_blocked", "https://platform.openai.com/docs/guides/error-codes/api-errors"),
    ("unsupported_country_region_territory", "ip_blocked", "https://platform.openai.com/docs/guides/error-codes/api-errors"),

    # ── Anthropic ───────────────────────────────────────────────────────────────────────────────
    # The error type Anthropic gives every key problem; with a key sent, it was rejected.
    ("authentication_error", "invalid_api_key", "https://docs.anthropic.com/en/api/errors"),
    ("invalid x-api-key", "invalid_api_key", "https://github.com/abi/screenshot-to-code/issues/272"),
    ("x-api-key header is required", "no_credentials", "https://docs.anthropic.com/en/api/errors"),

    # ── Twilio, SendGrid, Shopify ───────────────────────────────────────────────────────────────
    ("Authenticate", "generic", "https://www.twilio.com/docs/api/errors/20003"),
    ("Authentication Error - invalid username", "invalid_password", "https://github.com/bytechefhq/bytechef/issues/971"),
    ("The provided authorization grant is invalid, expired, or revoked", "invalid_api_key", "https://github.com/sendgrid/sendgrid-nodejs/issues/283"),
    ("authorization required", "no_credentials", "https://github.com/sendgrid/sendgrid-nodejs/issues/1152"),
    ("Permission denied, wrong credentials", "invalid_api_key", "https://github.com/sendgrid/sendgrid-php/issues/824"),
    ("[API] Invalid API key or access token (unrecognized login or wrong password)", "invalid_api_key", "https://shopify.dev/docs/api/usage/response-codes"),

    # ── Slack Web API (answers 200 with ok=false; the codes still mean what they say) ─────────────
    ("not_authed", "no_credentials", "https://api.slack.com/methods/auth.test"),
    ("No authentication token provided.", "no_credentials", "https://api.slack.com/methods/auth.test"),
    ("invalid_auth", "invalid_token", "https://api.slack.com/methods/auth.test"),
    # Slack's own description names both a bad token and a disallowed IP; the token is the usual case.
    ("Some aspect of authentication cannot be validated. Either the provided token is invalid or the request originates from an IP address disallowed from making the request.", "invalid_token", "https://api.slack.com/methods/auth.test"),
    ("token_revoked", "invalid_token", "https://api.slack.com/methods/auth.test"),
    ("token_expired", "expired", "https://api.slack.com/methods/auth.test"),
    ("account_inactive", "account_state", "https://api.slack.com/methods/auth.test"),
    ("missing_scope", "insufficient_scope", "https://api.slack.com/methods/chat.postMessage"),
    ("two_factor_setup_required", "step_up", "https://api.slack.com/methods/auth.test"),
    # The token is valid but not for this workspace.
    ("team_access_not_granted", "invalid_token", "https://api.slack.com/methods/auth.test"),

    # ── Jenkins ─────────────────────────────────────────────────────────────────────────────────
    ("Invalid password/token for user: admin", "invalid_password", "https://github.com/jenkinsci/jenkins/blob/HEAD/core/src/main/java/jenkins/security/BasicHeaderProcessor.java"),
    ("Malformed HTTP basic Authorization header", "malformed", "https://github.com/jenkinsci/jenkins/blob/HEAD/core/src/main/java/jenkins/security/BasicHeaderProcessor.java"),
)
