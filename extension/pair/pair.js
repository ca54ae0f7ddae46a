// The page `companion browse` opens first in the browser it launches:
// pair/pair.html#code=K7QM-4ZD9&port=8401&next=https://example.com/
// It trades the one-time code for the API token (so nothing is pasted), remembers the port,
// and goes on to the page the person asked for. Web pages cannot open it: it is not a
// web-accessible resource, so only the browser's own start-up (or the person) can.
import * as api from "../lib/api.js";
import * as settings from "../lib/settings.js";

const status = document.getElementById("pair-status");

async function pair() {
  const params = new URLSearchParams(location.hash.slice(1));
  // The code leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, "", location.pathname);
  const code = params.get("code") ?? "";
  const port = params.get("port");
  const next = params.get("next") ?? "";
  if (port && settings.isValidPort(port)) await settings.setPort(port);
  if (!api.isPairingCode(code)) {
    status.textContent = "No pairing code here. Click the extension's icon to pair by hand.";
    return;
  }
  try {
    await api.pairWithCode(code);
  } catch (err) {
    status.textContent = `Pairing failed: ${err.message}. Run \`companion pair\` and type the code in the extension's popup.`;
    status.classList.add("error");
    return;
  }
  status.textContent = "Paired: the extension now shows why a site answered 401.";
  document.body.dataset.paired = "true";
  if (/^https?:\/\//i.test(next)) location.replace(next);
}

pair();
