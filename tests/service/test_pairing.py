"""Pairing without pasting: a short code made with the token, traded once, by an extension
only, for the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.service.app import create_app
from companion.service.sessions import PairingCodes
from tests.service.test_api import AUTH, TOKEN

EXTENSION = {"Origin": "chrome-extension://dmfmfamahngcnohmjoomdjbfcnjhfmab"}


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):
    return await aiohttp_client(create_app(tmp_path, TOKEN))


async def new_code(client) -> str:
    made = await client.post("/api/pair-code", headers=AUTH)
    assert made.status == 201
    body = await made.json()
    assert body["expires_in"] == 300
    return body["code"]


async def test_an_extension_trades_a_code_for_the_token_once(client):
    code = await new_code(client)
    assert len(code) == 9 and code[4] == "-"
    first = await client.post("/api/pair", json={"code": code.lower().replace("-", " ")}, headers=EXTENSION)
    assert first.status == 200 and (await first.json()) == {"token": TOKEN}
    again = await client.post("/api/pair", json={"code": code}, headers=EXTENSION)
    assert again.status == 401 and (await again.json())["error"]["code"] == "invalid_code"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://127.0.0.1:9"}, {"Origin": "https://evil.example"}, {"Origin": "null"}],
)
async def test_nothing_but_an_extension_may_pair(client, headers):
    code = await new_code(client)
    response = await client.post("/api/pair", json={"code": code}, headers=headers)
    assert response.status == 403
    assert TOKEN not in await response.text()
    # the code is still good for the extension it was made for
    assert (await client.post("/api/pair", json={"code": code}, headers=EXTENSION)).status == 200


async def test_a_code_is_made_with_the_token_only(client):
    assert (await client.post("/api/pair-code")).status == 401
    assert (await client.post("/api/pair-code", headers=EXTENSION)).status == 401


@pytest.mark.parametrize("body", [{"code": 5}, {}, [], "ABCD-EFGH", {"code": "x" * 10_000}])
async def test_a_malformed_try_is_refused(client, body):
    response = await client.post("/api/pair", json=body, headers=EXTENSION)
    assert response.status in {400, 401}
    assert TOKEN not in await response.text()


def test_codes_expire_and_guessing_drops_every_open_code():
    now = [0.0]
    codes = PairingCodes(clock=lambda: now[0])
    late = codes.new_code()
    now[0] += 301
    assert not codes.redeem(late)
    kept = codes.new_code()
    for n in range(19):
        assert not codes.redeem(f"ZZZZ-{n:04d}")
    assert not codes.redeem("ZZZZ-9999")  # the twentieth wrong try
    assert not codes.redeem(kept)  # dropped with the rest: guessing is hopeless


@pytest.mark.parametrize(("ttl", "expected"), [("60", 60), ("1", 10), ("99999", 300), ("x", 300)])
async def test_a_code_can_be_asked_for_a_shorter_life(client, ttl, expected):
    """`companion browse` puts its code on a command line: it asks for a minute, not five."""
    made = await client.post(f"/api/pair-code?ttl={ttl}", headers=AUTH)
    assert (await made.json())["expires_in"] == expected
