// A segmentation mask drawn over its image: the mask PNG holds one class id per
// pixel (8-bit); each class is painted in its colour, half transparent, and a
// class switched off (or an unlabelled 0, the background) is left clear.
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { classRgb, isHidden, mediaUrl } from "../lib/media.js";

const ALPHA = 110;
const CACHE_SIZE = 64;
const decoded = new Map(); // sha256 -> Promise<{width, height, ids}>, least recently used first

/** The class id of every pixel of a mask PNG, decoded once per sha256. */
function classIds(mask) {
  const cached = decoded.get(mask.sha256);
  if (cached) {
    decoded.delete(mask.sha256);
    decoded.set(mask.sha256, cached);
    return cached;
  }
  const job = (async () => {
    const img = new Image();
    img.src = mediaUrl({ ...mask, format: "png" });
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const ids = new Uint8Array(canvas.width * canvas.height);
    for (let i = 0; i < ids.length; i++) ids[i] = rgba[i * 4]; // grey PNG: r = g = b = class id
    return { width: canvas.width, height: canvas.height, ids };
  })();
  job.catch(() => decoded.delete(mask.sha256)); // a failed load is tried again next time
  decoded.set(mask.sha256, job);
  if (decoded.size > CACHE_SIZE) decoded.delete(decoded.keys().next().value);
  return job;
}

export function MaskOverlay({ name, mask, hidden }) {
  const canvas = useRef(null);
  const [error, setError] = useState(null);
  const labels = mask.class_labels || {};
  const off = isHidden(hidden, "mask", name);
  const hiddenKey = [...hidden].filter((h) => h.startsWith(`mask:${name}:`)).join(",");

  useEffect(() => {
    if (off) return undefined;
    let live = true;
    classIds(mask).then(
      ({ width, height, ids }) => {
        const el = canvas.current;
        if (!live || !el) return;
        el.width = width;
        el.height = height;
        const ctx = el.getContext("2d");
        const image = ctx.createImageData(width, height);
        const colour = new Map();
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i];
          if (!colour.has(id)) colour.set(id, (id === 0 && !("0" in labels)) || isHidden(hidden, "mask", name, id) ? null : classRgb(id));
          const rgb = colour.get(id);
          if (!rgb) continue;
          const o = i * 4;
          image.data[o] = rgb[0];
          image.data[o + 1] = rgb[1];
          image.data[o + 2] = rgb[2];
          image.data[o + 3] = ALPHA;
        }
        ctx.putImageData(image, 0, 0);
        el.dataset.painted = "true";
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [mask.sha256, off, hiddenKey]);

  if (off) return null;
  if (error) return html`<span class="overlay-error" role="alert">mask ${name} could not be loaded</span>`;
  return html`<canvas class="mask-overlay" ref=${canvas} data-mask=${name} aria-hidden="true"></canvas>`;
}
