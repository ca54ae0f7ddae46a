// Real Firefox ESR for the end-to-end tests, with the facts DESIGN.md lists: Debian's
// firefox-esr driven headless by puppeteer-core over WebDriver BiDi, a fresh profile that
// browses through `companion run`'s proxy (loopback included, the API excepted) and trusts
// its CA in the profile's own certificate database, and the extension built for Firefox
// installed with a fixed moz-extension UUID.
//
// A scenario script reads its JSON config (argv[2]), drives the browser, and prints one JSON
// object of what a person would have seen; pytest (tests/e2e/test_firefox.py) asserts on it.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

export const GECKO_ID = "401-companion@example.invalid";
const EXTENSION_UUID = "4f1c0e9a-6b2d-4d8e-9a41-0c2d5e7f4010";
export const EXTENSION_ORIGIN = `moz-extension://${EXTENSION_UUID}`;
const WAIT_MS = 20000;

/** The scenario's config: the JSON file named by the first argument. */
export function readConfig() {
  return JSON.parse(readFileSync(process.argv[2], "utf8"));
}

/**
 * Runs `scenario(config)` and prints what it resolved to as JSON on stdout (the only thing
 * printed there); on an error, prints the error to stderr and exits 1.
 */
export async function main(scenario) {
  try {
    const result = await scenario(readConfig());
    process.stdout.write(JSON.stringify(result) + "\n");
  } catch (err) {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exitCode = 1;
  }
}

/** Trusts `caFile` for websites in this profile only (its NSS database), as a person would in
 * Settings → Certificates → Import. */
function trustCa(profile, caFile) {
  mkdirSync(profile, { recursive: true });
  execFileSync("certutil", ["-N", "-d", `sql:${profile}`, "--empty-password"]);
  execFileSync("certutil", ["-A", "-d", `sql:${profile}`, "-n", "401 Companion test CA", "-t", "C,,", "-i", caFile]);
}

function prefs({ proxyPort, apiPort }) {
  return {
    // Every request through the companion's proxy, loopback too (the test sites are local);
    // the extension's own calls to the API go direct, as with a browser told to bypass it.
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": proxyPort,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": proxyPort,
    "network.proxy.allow_hijacking_localhost": true,
    "network.proxy.no_proxies_on": `127.0.0.1:${apiPort}`,
    "extensions.webextensions.uuids": JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
  };
}

export class Firefox {
  /**
   * Firefox with the extension, browsing through the companion. `config` has `firefox` (the
   * executable), `profile` (a new directory), `extension` (the Firefox build), `caFile`,
   * `proxyPort` and `apiPort`.
   */
  static async launch(config) {
    trustCa(config.profile, config.caFile);
    const browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: config.firefox,
      headless: true,
      userDataDir: config.profile,
      args: ["--remote-allow-system-access"],
      extraPrefsFirefox: prefs(config),
    });
    try {
      // The `enableExtensions` launch option does not wait for the install: this does.
      const id = await browser.installExtension(config.extension);
      if (id !== GECKO_ID) throw new Error(`installed ${id}, expected ${GECKO_ID}`);
      const firefox = new Firefox(browser);
      // An extension page to call the extension's APIs from: the popup page for no tab
      // ("no web page here"), in a window of its own so that it never hides a site's tab.
      firefox.extension = await firefox.extensionPage("popup/popup.html?tabId=-1");
      return firefox;
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  constructor(browser) {
    this.browser = browser;
    this.extension = null;
  }

  async close() {
    await this.browser.close();
  }

  /** A new window showing `url`, a web page, once it has loaded. */
  async open(url) {
    const page = await this.browser.newPage({ type: "window" });
    await page.goto(url, { waitUntil: "load" });
    return page;
  }

  /** A new window showing one of the extension's pages. Extension pages send no load events
   * over BiDi: the navigation waits for the document itself. */
  async extensionPage(path) {
    const page = await this.browser.newPage({ type: "window" });
    await page.setViewport({ width: 400, height: 640 });
    await page.mainFrame().browsingContext.navigate(`${EXTENSION_ORIGIN}/${path}`, "complete");
    return page;
  }

  /** The popup for the tab `tabId`, opened as a page (`?tabId=N`), once its script runs. */
  async popup(tabId) {
    const page = await this.extensionPage(`popup/popup.html?tabId=${tabId}`);
    await page.waitForFunction(() => document.querySelector(".state:not([hidden])"), { timeout: WAIT_MS });
    return page;
  }

  /** Runs `fn(...args)` in an extension page, where `browser.*` is the extension's API. */
  ext(fn, ...args) {
    return this.extension.evaluate(fn, ...args);
  }

  storageSet(values) {
    return this.ext((v) => browser.storage.local.set(v), values);
  }

  /** The extension's id of the one tab showing `url`. `tabs.query` with a port in the URL
   * pattern matches nothing in Firefox: the URLs are compared here. */
  async tabId(url) {
    const ids = await this.ext((u) => browser.tabs.query({}).then((ts) => ts.filter((t) => t.url === u).map((t) => t.id)), url);
    if (ids.length !== 1) throw new Error(`${ids.length} tabs show ${url}, expected one`);
    return ids[0];
  }

  /** Every tab of every window the extension may see, with the window's privacy. */
  tabs() {
    return this.ext(async () => {
      const windows = await browser.windows.getAll({ populate: true });
      return windows.flatMap((w) => w.tabs.map((t) => ({ id: t.id, url: t.url, openerTabId: t.openerTabId ?? null, incognito: w.incognito })));
    });
  }

  /** The toolbar badge of a tab as the person sees it: its text and its tooltip. */
  badge(tabId) {
    return this.ext(
      (id) => Promise.all([browser.action.getBadgeText({ tabId: id }), browser.action.getTitle({ tabId: id })]).then(([text, title]) => ({ text, title })),
      tabId,
    );
  }

  /** Waits until the badge of `tabId` shows `text`; resolves to the badge. */
  badgeBecomes(tabId, text) {
    return this.until(async () => {
      const badge = await this.badge(tabId);
      return badge.text === text && badge;
    }, `the badge to show ${JSON.stringify(text)}`);
  }

  /** Every cookie of the profile, partitioned ones included, as the extension sees them. */
  cookies() {
    return this.ext(async () => {
      const seen = [...(await browser.cookies.getAll({})), ...(await browser.cookies.getAll({ partitionKey: {} }))];
      const unique = new Map(seen.map((c) => [JSON.stringify([c.domain, c.path, c.name, c.partitionKey ?? null]), c]));
      return [...unique.values()].map((c) => ({ domain: c.domain, name: c.name, partitioned: Boolean(c.partitionKey) }));
    });
  }

  /**
   * What a person does in about:addons → 401 Companion → "Run in Private Windows" → Allow:
   * the same calls that page makes (grant the permission, reload the extension), in the
   * browser's privileged scope (BiDi's `moz:scope: "chrome"`, allowed by
   * `--remote-allow-system-access`). The extension's pages close with the reload.
   */
  async allowInPrivateWindows() {
    await this.privileged(`(async () => {
      const { ExtensionPermissions } = ChromeUtils.importESModule("resource://gre/modules/ExtensionPermissions.sys.mjs");
      const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
      await ExtensionPermissions.add(${JSON.stringify(GECKO_ID)}, { permissions: ["internal:privateBrowsingAllowed"], origins: [] });
      await (await AddonManager.getAddonByID(${JSON.stringify(GECKO_ID)})).reload();
    })()`);
    this.extension = await this.extensionPage("popup/popup.html?tabId=-1");
  }

  async privileged(expression) {
    const connection = this.browser.connection; // puppeteer's BiDi connection, for Firefox's own commands
    const { result: tree } = await connection.send("browsingContext.getTree", { "moz:scope": "chrome" });
    const { result } = await connection.send("script.evaluate", {
      expression,
      target: { context: tree.contexts[0].context },
      awaitPromise: true,
    });
    if (result.type !== "success") throw new Error(`privileged script failed: ${JSON.stringify(result.exceptionDetails)}`);
    return result.result;
  }

  /** Waits for `condition()` (async) to be truthy and resolves to its value. */
  async until(condition, what, timeout = WAIT_MS) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await condition();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Runs `fn` with a launched Firefox and closes it whatever happens. */
export async function withFirefox(config, fn) {
  const firefox = await Firefox.launch(config);
  try {
    return await fn(firefox);
  } finally {
    await firefox.close();
  }
}

// ---- the popup, as a person uses it ----------------------------------------------------------

/** The visible text of `selector` in `page`, once it is visible. */
export async function textOf(page, selector) {
  await page.waitForSelector(selector, { visible: true, timeout: WAIT_MS });
  return page.$eval(selector, (node) => node.innerText);
}

/** Pastes `token` into the popup's pairing box and presses Pair. */
export async function pair(popup, token) {
  await popup.waitForSelector("#token-input", { visible: true, timeout: WAIT_MS });
  await popup.type("#token-input", token);
  await popup.click("#pair-button");
}

/** Opens the group of `cause` in the popup (only the newest cause is open at first); resolves
 * to its selector. */
export async function openGroup(popup, cause) {
  const group = `section.cause-group[data-cause="${cause}"]`;
  await popup.waitForSelector(`${group} .cause-toggle`, { visible: true, timeout: WAIT_MS });
  if ((await popup.$eval(`${group} .cause-toggle`, (b) => b.getAttribute("aria-expanded"))) === "false") {
    await popup.click(`${group} .cause-toggle`);
  }
  return group;
}

/** Clicks the fix `fix` of the cause group `cause` (and "Yes, remove" when `confirm`), then
 * waits for its result; resolves to `{ok, text}`. */
export async function runFix(popup, cause, fix, { confirm = false } = {}) {
  const group = await openGroup(popup, cause);
  await popup.waitForSelector(`${group} .fixes button[data-fix="${fix}"]`, { visible: true, timeout: WAIT_MS });
  await popup.click(`${group} .fixes button[data-fix="${fix}"]`);
  if (confirm) {
    await popup.waitForSelector(`${group} button.confirm-fix`, { visible: true, timeout: WAIT_MS });
    await popup.click(`${group} button.confirm-fix`);
  }
  await popup.waitForSelector(`${group} .fix-result.done, ${group} .fix-result.failed`, { timeout: WAIT_MS });
  return popup.$eval(`${group} .fix-result`, (node) => ({ ok: node.classList.contains("done"), text: node.innerText }));
}
