"""FastAPI as its security tutorial shows it: `OAuth2PasswordBearer` with JWTs decoded by
PyJWT ("OAuth2 with Password (and hashing), Bearer with JWT tokens"), and `HTTPBasic`
("HTTP Basic Auth"). Served by uvicorn.

    python -m tests.stacks.fastapi_app PORT

FastAPI's own dependencies answer the 401 when the header is missing or has another scheme;
a bad password or token is answered by the tutorial's code, copied as every app copies it.
"""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer
from jwt.exceptions import InvalidTokenError

from tests.stacks.accounts import JWT_SECRET, PASSWORD, USER

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
security = HTTPBasic()


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
        username = payload.get("sub")
        if username is None:
            raise credentials_exception
    except InvalidTokenError:
        raise credentials_exception from None
    return username


def get_current_username(credentials: Annotated[HTTPBasicCredentials, Depends(security)]) -> str:
    is_correct_username = secrets.compare_digest(credentials.username.encode("utf8"), USER.encode("utf8"))
    is_correct_password = secrets.compare_digest(credentials.password.encode("utf8"), PASSWORD.encode("utf8"))
    if not (is_correct_username and is_correct_password):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Basic"},
        )
    return credentials.username


@app.get("/users/me")
async def read_users_me(current_user: Annotated[str, Depends(get_current_user)]) -> dict:
    return {"username": current_user}


@app.get("/basic/me")
def read_current_user(username: Annotated[str, Depends(get_current_username)]) -> dict:
    return {"username": username}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
