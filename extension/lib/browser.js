// The one place that picks the extension namespace. Firefox has `browser`; Chrome's MV3
// `chrome` returns promises too, so the rest of the code uses `browser` with promises only.
globalThis.browser ??= globalThis.chrome;

export default globalThis.browser;
