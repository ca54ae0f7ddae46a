"""The cause catalogue: complete against DESIGN.md, and docs/causes.md generated from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from companion.diagnosis.catalogue import (
    CAUSES,
    FIX_IDS,
    catalogue_json,
    get_cause,
    render_markdown,
)
from companion.diagnosis.models import Fix

ROOT = Path(__file__).resolve().parents[2]

# The contract, copied from DESIGN.md ("Cause ids", "Fix ids"): ids never change meaning.
DESIGN_CAUSE_IDS = (
    "missing_credentials invalid_credentials malformed_authorization scheme_mismatch expired_token "
    "token_not_yet_valid invalid_token insufficient_scope step_up_required expired_session "
    "conflicting_cookies cookie_not_sent cors_preflight_rejected credentials_not_included "
    "invalid_api_key ip_blocked missing_challenge digest_stale_nonce negotiate_failed "
    "proxy_auth_required auth_loop credentials_stripped redirect_dropped_credentials insecure_transport unknown"
).split()
DESIGN_FIX_IDS = (
    "clear_cookies clear_site_data reload open_private_window open_login open_https copy_report manual".split()
)
# Causes whose fault lies with the site: the person cannot fix them alone.
SERVER_SIDE = (
    "missing_challenge",
    "cors_preflight_rejected",
    "credentials_not_included",
    "ip_blocked",
    "insufficient_scope",
)


def test_every_design_cause_is_in_the_catalogue() -> None:
    """A cause the diagnosis names must have a title and fixes to show."""
    assert list(CAUSES) == DESIGN_CAUSE_IDS


def test_fix_ids_are_the_design_ids() -> None:
    """The extension only knows DESIGN.md's fix ids; models.Fix must accept each one."""
    assert list(FIX_IDS) == DESIGN_FIX_IDS
    assert set(get_args(Fix.model_fields["id"].annotation)) == set(DESIGN_FIX_IDS)


@pytest.mark.parametrize("cause_id", DESIGN_CAUSE_IDS)
def test_each_cause_is_complete(cause_id: str) -> None:
    """Every cause tells a person what it means, how it was seen and what to do."""
    cause = CAUSES[cause_id]
    assert cause.title and cause.explanation and cause.recognised_by and cause.what_to_do
    ids = [fix.id for fix in cause.fixes]
    assert set(ids) <= set(DESIGN_FIX_IDS) and len(ids) == len(set(ids))
    assert "copy_report" in ids and ids[-1] == "manual"
    manual = cause.fixes[-1]
    assert not manual.one_click and manual.steps == cause.what_to_do
    assert all(fix.one_click for fix in cause.fixes[:-1])


@pytest.mark.parametrize("cause_id", SERVER_SIDE)
def test_server_side_causes_have_developer_notes(cause_id: str) -> None:
    """Where the site is at fault, its developers get a note saying what to change."""
    assert CAUSES[cause_id].developer_notes


@pytest.mark.parametrize(
    ("cause_id", "expected"),
    [("expired_token", "expired_token"), ("no_such_cause", "unknown"), ("", "unknown")],
)
def test_get_cause_falls_back_to_unknown(cause_id: str, expected: str) -> None:
    """An id from a newer addon or store must still render, as the general checklist."""
    assert get_cause(cause_id).id == expected


def test_catalogue_json_shape() -> None:
    """GET /api/causes answers this list; the extension reads these keys."""
    body = catalogue_json()
    assert [c["id"] for c in body] == DESIGN_CAUSE_IDS
    keys = {"id", "title", "explanation", "recognised_by", "what_to_do", "fixes", "developer_notes"}
    assert all(set(c) == keys for c in body)
    assert all(set(f) == {"id", "title", "one_click", "steps"} for c in body for f in c["fixes"])


def test_docs_causes_md_is_generated() -> None:
    """docs/causes.md must not drift from the catalogue: regenerate with python -m companion.diagnosis.catalogue."""
    assert (ROOT / "docs" / "causes.md").read_text(encoding="utf-8") == render_markdown()


def test_module_prints_the_markdown() -> None:
    """`python -m companion.diagnosis.catalogue > docs/causes.md` is how the file is regenerated."""
    out = subprocess.run(
        [sys.executable, "-m", "companion.diagnosis.catalogue"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    )
    assert out.stdout == render_markdown()


def test_markdown_covers_every_cause() -> None:
    """Each cause has its own section a link can point at."""
    text = render_markdown()
    for cause_id in DESIGN_CAUSE_IDS:
        assert f'<a id="{cause_id}"></a>' in text and f"## `{cause_id}`" in text
