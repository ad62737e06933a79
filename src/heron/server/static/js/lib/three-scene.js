// The 3D viewer behind object3D panels: a point cloud or a mesh in a WebGL canvas,
// turned and zoomed with the mouse (OrbitControls). This module pulls in three.js
// (about 2 MB), so it is only imported when a 3D panel renders.
import * as THREE from "../../vendor/three/three.module.js";
import { GLTFLoader } from "../../vendor/three/GLTFLoader.js";
import { OBJLoader } from "../../vendor/three/OBJLoader.js";
import { OrbitControls } from "../../vendor/three/OrbitControls.js";
import { classRgb } from "./media.js";

const DEFAULT_POINT = [37, 99, 235];

/**
 * A pts.json point cloud as THREE.Points: rows are [x, y, z], [x, y, z, category]
 * (coloured by category, as mask classes are) or [x, y, z, r, g, b] with r, g, b 0..255.
 */
export function pointCloud(rows) {
  if (!Array.isArray(rows)) throw new Error("A pts.json point cloud must be a JSON array of [x, y, z, ...] points.");
  const positions = new Float32Array(rows.length * 3);
  const colours = new Float32Array(rows.length * 3);
  let n = 0;
  for (const row of rows) {
    if (!Array.isArray(row) || row.length < 3 || !row.slice(0, 3).every(Number.isFinite)) continue;
    positions.set([row[0], row[1], row[2]], n * 3);
    const rgb = row.length >= 6 ? [row[3], row[4], row[5]] : row.length >= 4 ? classRgb(row[3]) : DEFAULT_POINT;
    colours.set(rgb.map((c) => Math.min(255, Math.max(0, Number(c) || 0)) / 255), n * 3);
    n += 1;
  }
  if (!n) throw new Error("The point cloud holds no valid [x, y, z] point.");
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute("position", new THREE.BufferAttribute(positions.subarray(0, n * 3), 3));
  const colour = new THREE.BufferAttribute(colours.subarray(0, n * 3), 3);
  geometry.setAttribute("color", colour);
  const material = new THREE.PointsMaterial({ size: n > 20000 ? 2 : n > 2000 ? 3 : 4, sizeAttenuation: false, vertexColors: true });
  return new THREE.Points(geometry, material);
}

const MESH_COLOUR = 0x3b82f6;

/** An OBJ has no materials of its own (no .mtl travels with it): shade it in one colour. */
function shaded(object) {
  object.traverse((o) => {
    if (!o.isMesh) return;
    const vertexColors = Boolean(o.geometry.getAttribute("color"));
    for (const m of [].concat(o.material || [])) m.dispose();
    o.material = new THREE.MeshStandardMaterial({ color: vertexColors ? 0xffffff : MESH_COLOUR, vertexColors, roughness: 0.6, metalness: 0.1, side: THREE.DoubleSide });
  });
  return object;
}

/** The scene object of a stub's file content (text for pts.json and obj, bytes for gltf/glb). */
export async function parseObject(format, content) {
  if (format === "pts.json") return pointCloud(JSON.parse(content));
  if (format === "obj") return shaded(new OBJLoader().parse(content));
  if (format === "gltf" || format === "glb") return (await new GLTFLoader().parseAsync(content, "")).scene;
  throw new Error(`3D format ${format} is not shown here: log pts.json, obj, gltf or glb.`);
}

/** A viewer drawing into `canvas`: show(object) frames it; dispose() frees the WebGL context. */
export function createViewer(canvas, width, height) {
  // preserveDrawingBuffer keeps the last frame readable (screenshots, tests) between renders.
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color("#f8fafc");
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.5);
  sun.position.set(3, 5, 4);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(50, width / height, 0.01, 1000);
  const controls = new OrbitControls(camera, canvas);
  let shown = null;
  const render = () => renderer.render(scene, camera);
  controls.addEventListener("change", render);

  const free = (object) =>
    object.traverse((o) => {
      if (o.geometry) o.geometry.dispose();
      for (const m of [].concat(o.material || [])) m.dispose();
    });

  return {
    show(object) {
      if (shown) {
        scene.remove(shown);
        free(shown);
      }
      shown = object;
      scene.add(object);
      const sphere = new THREE.Box3().setFromObject(object).getBoundingSphere(new THREE.Sphere());
      const radius = sphere.radius > 0 ? sphere.radius : 1;
      camera.near = radius / 100;
      camera.far = radius * 100;
      camera.position.copy(sphere.center).add(new THREE.Vector3(1, 0.8, 1.2).normalize().multiplyScalar(radius * 2.6));
      camera.updateProjectionMatrix();
      controls.target.copy(sphere.center);
      controls.update();
      render();
    },
    resize(w, h) {
      renderer.setSize(w, h, false);
      camera.aspect = w / h;
      camera.updateProjectionMatrix();
      render();
    },
    dispose() {
      controls.dispose();
      if (shown) free(shown);
      renderer.dispose();
      renderer.forceContextLoss();
    },
  };
}
