// A logged sound: the browser's own player, with the clip's length and rate.
import { html } from "../../vendor/preact-htm.js";
import { fmtDuration } from "../lib/format.js";
import { mediaUrl } from "../lib/media.js";

export function AudioView({ stub }) {
  const seconds = stub.duration == null ? NaN : Number(stub.duration);
  const length = !Number.isFinite(seconds) ? null : seconds < 60 ? `${seconds.toFixed(2)} s` : fmtDuration(seconds);
  const facts = [length, stub.sample_rate && `${stub.sample_rate} Hz`, stub.format].filter(Boolean).join(" · ");
  return html`<figure class="audio-view">
    <audio controls preload="metadata" src=${mediaUrl(stub)}></audio>
    <figcaption class="media-caption">${stub.caption && html`<span>${stub.caption}</span> `}<span class="muted">${facts}</span></figcaption>
  </figure>`;
}
