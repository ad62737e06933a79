// Vega, Vega-Lite and vega-embed, loaded on first use: about 800 kB that only a
// page showing a custom chart should pay for. The vendored files are UMD builds
// that set window.vega, window.vegaLite and window.vegaEmbed, each needing the
// one before it, so they load as classic scripts, in order.
const FILES = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"];
const BASE = "/static/vendor/vega/";

let loading = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = false;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} could not be loaded; reload the page to try again`));
    document.head.appendChild(script);
  });
}

/** window.vegaEmbed, once the three libraries are loaded (one load per page). */
export function loadVegaEmbed() {
  if (window.vegaEmbed) return Promise.resolve(window.vegaEmbed);
  loading =
    loading ||
    FILES.reduce((previous, name) => previous.then(() => loadScript(BASE + name)), Promise.resolve())
      .then(() => window.vegaEmbed)
      .catch((error) => {
        loading = null; // a later chart may try again
        throw error;
      });
  return loading;
}
