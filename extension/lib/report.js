// The plain-text report behind `copy_report`. It is built only from the event's fields, and
// the event is redacted by the addon before it is stored, so nothing secret can be in it.

/** A support-ready text report of one event. */
export function buildReport(event, { version = "" } = {}) {
  const d = event.diagnosis ?? {};
  const lines = [
    "401 Companion report",
    "====================",
    `What failed: ${event.method} ${event.url} -> ${event.status}`,
    `When:        ${event.time} (${localTime(event.time)})`,
  ];
  if (event.initiator) lines.push(`Requested by: ${event.initiator}`);
  lines.push(`Cause:       ${d.title ?? "Unknown"} [${d.cause ?? "unknown"}]${confidence(d)}`);
  if (d.also?.length) lines.push(`Also:        ${d.also.join(", ")}`);
  lines.push("", "Summary:", indent(d.summary ?? ""));
  if (d.evidence?.length) {
    lines.push("", "Evidence:");
    for (const e of d.evidence) lines.push(`  - ${e.fact} (${e.source})`);
  }
  if (d.developer_notes?.length) {
    lines.push("", "For the site's developers:");
    for (const note of d.developer_notes) lines.push(`  - ${note}`);
  }
  lines.push(
    "",
    `Event ${event.id}${version ? `, companion ${version}` : ""}.`,
    "Built from the redacted event: no passwords, tokens or cookie values are in this report.",
  );
  return lines.join("\n");
}

function confidence(diagnosis) {
  const c = diagnosis.confidence;
  return typeof c === "number" ? ` (confidence ${Math.round(c * 100)} %)` : "";
}

function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.valueOf()) ? "unknown time" : date.toLocaleString();
}

function indent(text) {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
