// The full-size view of one image, over the page, with its overlays; Esc, the
// close button or a click beside the image leaves it.
import { html, useLayoutEffect } from "../../vendor/preact-htm.js";
import { ImageView } from "./image-view.js";

export function MediaZoom({ stub, title, hidden, onClose }) {
  // A layout effect: the key listener is in place before the overlay is painted, so an
  // Escape pressed as soon as it shows is not lost.
  useLayoutEffect(() => {
    const onKey = (e) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  return html`<div class="modal-backdrop media-zoom-backdrop" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class="media-zoom panel" role="dialog" aria-label="Full size image">
      <div class="media-zoom-head">
        <span class="panel-title">${title}</span>
        <span class="muted">${stub.width && stub.height ? `${stub.width} × ${stub.height}` : ""}</span>
        <button class="icon" aria-label="Close" title="Close (Esc)" onClick=${onClose}>✕</button>
      </div>
      <${ImageView} stub=${stub} height=${Math.max(240, window.innerHeight - 160)} hidden=${hidden} upscale=${32} />
    </div>
  </div>`;
}
