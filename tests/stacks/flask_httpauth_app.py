"""Flask + Flask-HTTPAuth as its documentation shows it: Basic with a `verify_password`
callback over hashed passwords, and a Bearer token auth with `verify_token`.

    python -m tests.stacks.flask_httpauth_app PORT
"""

from __future__ import annotations

import sys

from flask import Flask
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth
from werkzeug.security import check_password_hash, generate_password_hash

from tests.stacks.accounts import PASSWORD, TOKEN, USER

app = Flask(__name__)
basic_auth = HTTPBasicAuth()
token_auth = HTTPTokenAuth(scheme="Bearer")

users = {USER: generate_password_hash(PASSWORD)}
tokens = {TOKEN: USER}


@basic_auth.verify_password
def verify_password(username: str, password: str) -> str | None:
    if username in users and check_password_hash(users[username], password):
        return username
    return None


@token_auth.verify_token
def verify_token(token: str) -> str | None:
    return tokens.get(token)


@app.route("/basic")
@basic_auth.login_required
def basic_index() -> str:
    return f"Hello, {basic_auth.current_user()}!"


@app.route("/token")
@token_auth.login_required
def token_index() -> str:
    return f"Hello, {token_auth.current_user()}!"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
