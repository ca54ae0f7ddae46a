"""The event list page's routes and sign-in, on a real aiohttp server: a one-time code becomes
an `HttpOnly; SameSite=Strict` session cookie, which the page's own calls may use instead of
the token, and nothing else may."""

from __future__ import annotations

from pathlib import Path

import pytest
from mitmproxy.http import Response
from mitmproxy.test import tflow

from companion.capture import Companion
from companion.service.app import create_app
from companion.service.sessions import Sessions
from tests.service.test_api import AUTH, TOKEN, exchange


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):
    return await aiohttp_client(create_app(tmp_path, TOKEN))


async def sign_in(client) -> str:
    """A session cookie's `name=value`, the way a browser gets it from a login link."""
    made = await client.post("/api/login-code", headers=AUTH)
    assert made.status == 201
    link = await made.json()
    assert link["url"] == f"http://127.0.0.1:{client.port}/login?code={link['code']}"
    response = await client.get(f"/login?code={link['code']}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    client.session.cookie_jar.clear()  # each test says which cookie it sends
    return cookie.split(";")[0]


def own(client, cookie: str, **more: str) -> dict[str, str]:
    """What Chromium sends with the page's own fetch."""
    return {"Cookie": cookie, "Sec-Fetch-Site": "same-origin", **more}


async def test_the_page_without_a_sign_in_says_how_to_open_it(client):
    response = await client.get("/")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    text = await response.text()
    assert "companion open" in text and "All events" in text
    assert "<script" not in text


async def test_a_login_link_works_once_and_leaves_no_code_in_the_address_bar(client):
    made = await (await client.post("/api/login-code", headers=AUTH)).json()
    first = await client.get(f"/login?code={made['code']}", allow_redirects=False)
    assert first.status == 303 and first.headers["Location"] == "/"
    again = await client.get(f"/login?code={made['code']}", allow_redirects=False)
    assert again.status == 401 and "Set-Cookie" not in again.headers
    assert "companion open" in await again.text()


async def test_a_login_link_can_open_the_page_on_one_site(client):
    made = await (await client.post("/api/login-code?site=app.example.com", headers=AUTH)).json()
    assert made["url"].endswith("&site=app.example.com")
    response = await client.get(made["url"].split(str(client.port), 1)[1], allow_redirects=False)
    assert response.headers["Location"] == "/?site=app.example.com"


async def test_the_signed_in_page_is_served_with_a_strict_policy(client):
    cookie = await sign_in(client)
    response = await client.get("/", headers={"Cookie": cookie, "Sec-Fetch-Site": "none"})
    assert response.status == 200
    html = await response.text()
    assert '<script type="module" src="/static/list.js">' in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("list.js", "format.js", "list.css"):
        asset = await client.get(f"/static/{name}")
        assert asset.status == 200 and asset.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("name", ["../page.py", "index.html.bak", "%2e%2e%2fapp.py", "signin.htm"])
async def test_only_the_page_s_own_files_are_served(client, name):
    response = await client.get(f"/static/{name}")
    assert response.status == 404


async def test_the_page_s_own_calls_are_let_in_by_its_cookie(client):
    cookie = await sign_in(client)
    await client.post("/api/ingest", json=exchange(flow_id="a"), headers=AUTH)
    listed = await client.get("/api/events", headers=own(client, cookie))
    assert listed.status == 200 and len((await listed.json())["events"]) == 1
    origin = f"http://127.0.0.1:{client.port}"
    deleted = await client.delete("/api/events", headers=own(client, cookie, Origin=origin))
    assert deleted.status == 200 and (await deleted.json())["deleted"] == 1


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        # another page on this machine (another port) is same-site: the cookie goes along
        ("GET", {"Sec-Fetch-Site": "same-site"}, 401),
        ("GET", {"Sec-Fetch-Site": "cross-site"}, 401),
        ("GET", {"Origin": "http://127.0.0.1:9"}, 403),
        ("DELETE", {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9"}, 403),
        # a change must say it came from the page itself
        ("DELETE", {"Sec-Fetch-Site": "same-origin"}, 401),
        ("POST", {"Sec-Fetch-Site": "same-origin", "Origin": "null"}, 403),
    ],
)
async def test_another_page_cannot_use_the_cookie(client, method, headers, status):
    cookie = await sign_in(client)
    await client.post("/api/ingest", json=exchange(flow_id="a"), headers=AUTH)
    path = "/api/ingest" if method == "POST" else "/api/events"
    response = await client.request(method, path, headers={"Cookie": cookie, **headers})
    assert response.status == status
    assert "Access-Control-Allow-Origin" not in response.headers
    listed = await (await client.get("/api/events", headers=AUTH)).json()
    assert len(listed["events"]) == 1  # nothing deleted


async def test_a_signed_in_page_cannot_mint_more_login_links(client):
    cookie = await sign_in(client)
    origin = f"http://127.0.0.1:{client.port}"
    response = await client.post("/api/login-code", headers=own(client, cookie, Origin=origin))
    assert response.status == 403


async def test_signing_out_ends_the_session(client):
    cookie = await sign_in(client)
    origin = f"http://127.0.0.1:{client.port}"
    out = await client.post("/logout", headers=own(client, cookie, Origin=origin), allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/", headers={"Cookie": cookie})).status == 401
    assert (await client.get("/api/events", headers=own(client, cookie))).status == 401


async def test_a_cookie_of_another_companion_port_is_not_this_one_s(client):
    cookie = await sign_in(client)
    name, value = cookie.split("=", 1)
    assert name == f"companion_session_{client.port}"
    other = f"companion_session_{client.port + 1}={value}"
    assert (await client.get("/", headers={"Cookie": other})).status == 401


async def test_the_report_of_one_event_is_text_for_support(client):
    secret = "Zq9-report-secret-4711"
    flow = tflow.tflow(resp=True)
    flow.request.url = "https://api.example.com/me"
    flow.request.headers["Authorization"] = f"Bearer {secret}"
    flow.response = Response.make(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    captured = Companion().capture(flow)  # redacted by the addon, as every stored event is
    stored = await (await client.post("/api/ingest", json=captured, headers=AUTH)).json()
    response = await client.get(f"/api/events/{stored['id']}/report", headers=AUTH)
    assert response.status == 200 and response.content_type == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    text = await response.text()
    assert stored["diagnosis"]["title"] in text and "GET https://api.example.com/me -> 401" in text
    assert "Request headers (redacted):" in text
    assert secret not in text
    assert (await client.get("/api/events/nope/report", headers=AUTH)).status == 404


def test_codes_expire_are_single_use_and_bounded():
    now = [1000.0]
    sessions = Sessions(clock=lambda: now[0])
    code = sessions.new_code(ttl=60)
    now[0] += 61
    assert sessions.redeem(code) is None
    code = sessions.new_code(ttl=60)
    session = sessions.redeem(code)
    assert session and sessions.valid(session) and sessions.redeem(code) is None
    codes = [sessions.new_code() for _ in range(40)]
    assert sessions.redeem(codes[0]) is None  # the oldest outstanding codes give way
    assert sessions.redeem(codes[-1]) is not None
    now[0] += 13 * 3600
    assert not sessions.valid(session)
