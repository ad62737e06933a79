// One logged image, scaled to fit its box (small images scaled up, pixelated),
// with its masks and boxes drawn over it and its caption below. Clicking it
// calls onZoom (the full-size view).
import { html, useRef, useState } from "../../vendor/preact-htm.js";
import { mediaUrl } from "../lib/media.js";
import { useWidth } from "../lib/size.js";
import { BoxOverlay } from "./box-overlay.js";
import { MaskOverlay } from "./mask-overlay.js";

const MAX_UPSCALE = 8;

export function ImageView({ stub, height, hidden, onZoom, upscale = MAX_UPSCALE }) {
  const box = useRef(null);
  const avail = useWidth(box, 300);
  const [natural, setNatural] = useState(null);
  const [failed, setFailed] = useState(false);
  const width = stub.width || (natural && natural.width);
  const tall = stub.height || (natural && natural.height);
  const scale = width && tall ? Math.min(avail / width, height / tall, upscale) : 1;
  const size = width && tall ? { width: Math.max(1, Math.round(width * scale)) + "px", height: Math.max(1, Math.round(tall * scale)) + "px" } : {};
  const onLoad = (e) => setNatural({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight });
  return html`<figure class="image-view" ref=${box}>
    ${failed
      ? html`<div class="media-missing muted" role="alert">The image ${stub.path || stub.sha256} could not be loaded.</div>`
      : html`<div class=${"image-frame" + (scale > 2 ? " pixelated" : "")} style=${size}>
          <img
            src=${mediaUrl(stub)}
            alt=${stub.caption || "logged image"}
            title=${onZoom ? "Click to view full size" : ""}
            class=${onZoom ? "zoomable" : ""}
            onLoad=${onLoad}
            onError=${() => setFailed(true)}
            onClick=${onZoom}
          />
          ${width &&
          tall &&
          Object.entries(stub.masks || {}).map(([name, mask]) => html`<${MaskOverlay} key=${"m" + name} name=${name} mask=${mask} hidden=${hidden} />`)}
          ${width &&
          tall &&
          Object.entries(stub.boxes || {}).map(
            ([name, set]) => html`<${BoxOverlay} key=${"b" + name} name=${name} set=${set} classes=${stub.classes} width=${width} height=${tall} scale=${scale} hidden=${hidden} />`,
          )}
        </div>`}
    ${stub.caption && html`<figcaption class="media-caption">${stub.caption}</figcaption>`}
  </figure>`;
}
