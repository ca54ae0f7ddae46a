"""Flask + Flask-JWT-Extended as its documentation shows it: `@jwt_required()`, a route that
wants a fresh token, a blocklist loader for revoked tokens, tokens in headers or cookies.

    python -m tests.stacks.flask_jwt_app PORT
"""

from __future__ import annotations

import sys

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required

from tests.stacks.accounts import JWT_SECRET, REVOKED_JTI

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = JWT_SECRET
app.config["JWT_TOKEN_LOCATION"] = ["headers", "cookies"]
jwt = JWTManager(app)

# A real app keeps this in Redis or its database (the docs' "blocklist and token revoking").
blocklist = {REVOKED_JTI}


@jwt.token_in_blocklist_loader
def check_if_token_revoked(jwt_header: dict, jwt_payload: dict) -> bool:
    return jwt_payload["jti"] in blocklist


@app.route("/protected")
@jwt_required()
def protected():
    return jsonify(logged_in_as=get_jwt_identity())


@app.route("/fresh")
@jwt_required(fresh=True)
def fresh():
    return jsonify(logged_in_as=get_jwt_identity(), fresh=True)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
