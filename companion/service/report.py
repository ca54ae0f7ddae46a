"""The plain-text report of one event, for support: what the page's "Copy report" and
"Download report" give. Built from the stored event, which the addon redacted before it left
the proxy, so nothing secret can be in it. The extension's `copy_report` writes the same
sections (extension/lib/report.js)."""

from __future__ import annotations

from companion import __version__
from companion.service.models import Event

__all__ = ["text_report"]


def text_report(event: Event, titles: dict[str, str] | None = None, catalogue_notes: list[str] | None = None) -> str:
    """A support-ready report of `event`; `titles` names the causes listed under "Also", and
    `catalogue_notes` are the cause's notes for developers when the diagnosis carries none
    (as the page and `companion events show` fall back to them)."""
    titles = titles or {}
    d = event.diagnosis
    lines = [
        "401 Companion report",
        "====================",
        f"What failed: {event.method} {event.url} -> {event.status}",
        f"When:        {event.time.isoformat().replace('+00:00', 'Z')}",
    ]
    if event.initiator:
        lines.append(f"Requested by: {event.initiator}")
    lines.append(f"Cause:       {d.title} [{d.cause}] (confidence {round(d.confidence * 100)} %)")
    if d.also:
        lines.append("Also:        " + "; ".join(f"{titles.get(c, c)} [{c}]" for c in d.also))
    lines += ["", "Summary:", *(f"  {line}" for line in d.summary.splitlines())]
    if d.evidence:
        lines += ["", "Evidence:", *(f"  - {e.fact} ({e.source})" for e in d.evidence)]
    steps = [step for fix in d.fixes if fix.id == "manual" for step in fix.steps]
    if steps:
        lines += ["", "What to do:", *(f"  {n}. {step}" for n, step in enumerate(steps, 1))]
    notes = d.developer_notes or catalogue_notes or []
    if notes:
        lines += ["", "For the site's developers:", *(f"  - {note}" for note in notes)]
    exchange = event.exchange
    if exchange is not None:
        lines += ["", "Request headers (redacted):", *(f"  {k}: {v}" for k, v in exchange.request.headers)]
        lines += ["", "Response headers (redacted):", *(f"  {k}: {v}" for k, v in exchange.response.headers)]
    lines += [
        "",
        f"Event {event.id}, companion {__version__}.",
        "Built from the redacted event: no passwords, tokens or cookie values are in this report.",
    ]
    return "\n".join(lines) + "\n"
