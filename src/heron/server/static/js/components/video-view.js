// A logged video: the browser's player, or an <img> for a GIF (it animates by itself).
import { html } from "../../vendor/preact-htm.js";
import { mediaUrl } from "../lib/media.js";

export function VideoView({ stub, height, onZoom }) {
  const facts = [stub.width && stub.height && `${stub.width} × ${stub.height}`, stub.fps && `${stub.fps} fps`, stub.format].filter(Boolean).join(" · ");
  const style = { maxHeight: height + "px" };
  return html`<figure class="video-view">
    ${stub.format === "gif"
      ? html`<img class="zoomable" src=${mediaUrl(stub)} alt=${stub.caption || "logged video"} style=${style} onClick=${onZoom} />`
      : html`<video controls preload="metadata" src=${mediaUrl(stub)} style=${style}></video>`}
    <figcaption class="media-caption">${stub.caption && html`<span>${stub.caption}</span> `}<span class="muted">${facts}</span></figcaption>
  </figure>`;
}
