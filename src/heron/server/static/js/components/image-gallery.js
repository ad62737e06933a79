// A list of images logged under one key at one step: a grid of thumbnails,
// each opening its full-size view.
import { html } from "../../vendor/preact-htm.js";
import { mediaUrl } from "../lib/media.js";

export function ImageGallery({ stubs, onZoom }) {
  const images = stubs.filter((s) => s && s.sha256);
  if (!images.length) return html`<div class="media-missing muted">No images at this step.</div>`;
  return html`<div class="image-gallery" data-count=${images.length}>
    ${images.map(
      (stub, i) => html`<figure class="gallery-item" key=${i}>
        <img
          class="zoomable"
          src=${mediaUrl(stub)}
          alt=${stub.caption || `image ${i + 1}`}
          title=${stub.caption || `image ${i + 1} of ${images.length}`}
          loading="lazy"
          onClick=${() => onZoom(stub, i)}
        />
        ${stub.caption && html`<figcaption class="media-caption">${stub.caption}</figcaption>`}
      </figure>`,
    )}
  </div>`;
}
