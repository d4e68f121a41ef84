"""The live-reload script and the build-error overlay, added to HTML responses by the preview.

Both are served as files from the preview server's own `/_dateline/` path rather
than inlined, so a site with a Content-Security-Policy of 'self' still reloads.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

SCRIPT_PATH = "/_dateline/reload.js"
STYLE_PATH = "/_dateline/overlay.css"

RELOAD_JS = b"""\
(() => {
  // dateline serve: reload this page when the preview rebuilds (never in built sites).
  let epoch = document.currentScript.dataset.epoch;
  const pause = (ms) => new Promise((done) => setTimeout(done, ms));
  (async () => {
    for (;;) {
      try {
        const answer = await fetch("/_dateline/reload?epoch=" + epoch, { cache: "no-store" });
        if (answer.ok) {
          const state = await answer.json();
          if (String(state.epoch) !== epoch) { location.reload(); return; }
          continue;
        }
      } catch (error) { /* the server is restarting: try again */ }
      await pause(1000);
    }
  })();
})();
"""

OVERLAY_CSS = b"""\
#dateline-overlay { position: fixed; inset: 0 0 auto 0; z-index: 2147483647; max-height: 80vh;
  overflow: auto; margin: 0; padding: 1rem 1.25rem; background: #fff4f4; color: #5c0000;
  border-bottom: 4px solid #b00020; font: 15px/1.5 system-ui, sans-serif;
  box-shadow: 0 4px 16px rgb(0 0 0 / 25%); }
#dateline-overlay h2 { margin: 0 0 .5rem; font-size: 1.1rem; }
#dateline-overlay pre { margin: 0; white-space: pre-wrap; font: 14px/1.5 ui-monospace, monospace; }
"""


def inject(page: bytes, *, epoch: int, errors: Sequence[str]) -> bytes:
    """Add the reload script (and the error overlay, if any) before `</body>`."""
    extra = f'<script src="{SCRIPT_PATH}" data-epoch="{epoch}"></script>'
    if errors:
        lines = "\n".join(html.escape(line) for line in errors)
        extra = (
            f'<link rel="stylesheet" href="{STYLE_PATH}">'
            '<div id="dateline-overlay" role="alert"><h2>The last save did not build. '
            "This is the last good version; fix these and save again:</h2>"
            f"<pre>{lines}</pre></div>{extra}"
        )
    data = extra.encode()
    at = page.lower().rfind(b"</body>")
    return page + data if at < 0 else page[:at] + data + page[at:]
