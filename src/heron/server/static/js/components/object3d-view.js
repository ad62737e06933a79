// A logged 3D object (point cloud or mesh) in a WebGL viewer: drag to turn,
// scroll to zoom, right-drag to pan. three.js is loaded on the first 3D panel.
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { fetchMedia } from "../lib/media.js";
import { useWidth } from "../lib/size.js";
import { ErrorBox } from "./common.js";

let threeScene = null;
const loadThree = () => (threeScene = threeScene || import("../lib/three-scene.js"));

/** The stub's 3D format; older stubs without one are known by the file name. */
function formatOf(stub) {
  if (stub.format) return stub.format;
  const path = stub.path || "";
  return path.endsWith(".pts.json") ? "pts.json" : path.slice(path.lastIndexOf(".") + 1);
}

export function Object3DView({ stub, height, onShown }) {
  const box = useRef(null);
  const canvas = useRef(null);
  const viewer = useRef(null);
  const width = useWidth(box, 400);
  const [scene, setScene] = useState(null);
  const [error, setError] = useState(null);
  const [drawn, setDrawn] = useState(false);

  useEffect(() => {
    let live = true;
    loadThree()
      .then((module) => {
        if (!live) return;
        viewer.current = module.createViewer(canvas.current, Math.max(1, box.current.clientWidth), height);
        setScene(() => module);
      })
      .catch((e) => live && setError(new Error(`The 3D viewer could not start (${e.message}): this browser needs WebGL.`)));
    return () => {
      live = false;
      if (viewer.current) viewer.current.dispose();
      viewer.current = null;
    };
  }, []);

  useEffect(() => {
    if (!scene) return undefined;
    let live = true;
    const format = formatOf(stub);
    setError(null);
    fetchMedia(stub, format === "glb" ? "arrayBuffer" : "text")
      .then((content) => scene.parseObject(format, content))
      .then((object) => {
        if (!live || !viewer.current) return;
        viewer.current.show(object);
        setDrawn(true);
        if (onShown) onShown();
      })
      .catch((e) => {
        if (!live) return;
        setError(new Error(`The 3D object could not be shown: ${e.message}`));
        if (onShown) onShown();
      });
    return () => {
      live = false;
    };
  }, [scene, stub.sha256]);

  useEffect(() => {
    if (viewer.current && width > 0) viewer.current.resize(width, height);
  }, [width, height, scene]);

  return html`<figure class="object3d-view" ref=${box}>
    <${ErrorBox} error=${error} />
    <canvas class="object3d-canvas" ref=${canvas} data-drawn=${drawn ? "true" : "false"} style=${{ height: height + "px" }} aria-label="3D view: drag to turn, scroll to zoom"></canvas>
    <figcaption class="media-caption muted">${[formatOf(stub), stub.points && `${stub.points.toLocaleString()} points`, stub.caption].filter(Boolean).join(" · ")}</figcaption>
  </figure>`;
}
