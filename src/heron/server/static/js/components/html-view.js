// Logged HTML, shown in a sandboxed frame: its scripts run, but without
// allow-same-origin the frame is an opaque origin, so nothing in it can reach
// the dashboard (its DOM, cookies or API). The text is fetched, then given as srcdoc.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { fetchMedia } from "../lib/media.js";
import { ErrorBox } from "./common.js";

export function HtmlView({ stub, height, onShown }) {
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    setText(null);
    setError(null);
    fetchMedia(stub).then(
      (body) => live && setText(body),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [stub.sha256]);
  useEffect(() => {
    if ((text !== null || error) && onShown) onShown();
  }, [text !== null, error]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (text === null) return html`<div class="chart-placeholder muted">Loading…</div>`;
  return html`<iframe class="html-view" sandbox="allow-scripts" srcdoc=${text} title="Logged HTML" style=${{ height: height + "px" }}></iframe>`;
}
