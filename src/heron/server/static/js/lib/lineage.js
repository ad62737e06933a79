// The lineage graph of an artifact version as nodes and edges, laid out in layers.
//
// The API answers {artifacts: [version], runs: [run path], edges: [{run, kind, artifact}]};
// a `logged` edge points run -> version, a `used` edge version -> run. The layout is
// the classic layered one: each node's layer is its longest path from a source, and
// a few barycentre sweeps order each layer to keep edges from crossing.

export const NODE_W = 180;
export const NODE_H = 44;
const LAYER_GAP = 90; // horizontal space between layers, beyond a node's width
const ROW_GAP = 22;
const SWEEPS = 4;

const versionKey = (v) => `${v.entity}/${v.project}/${v.name}:v${v.version}`;

/** Nodes ({id, kind: "run" | "artifact", label, sub, href, ...}) and edges ({from, to, kind}). */
export function lineageGraph(data) {
  const nodes = new Map();
  for (const v of data.artifacts) {
    const id = versionKey(v);
    nodes.set(id, {
      id,
      kind: "artifact",
      label: `${v.name}:v${v.version}`,
      sub: v.type,
      href: `/${[v.entity, v.project, "artifacts", v.type, v.name, "v" + v.version].map(encodeURIComponent).join("/")}`,
    });
  }
  for (const path of data.runs) {
    const [entity, project, runId] = path.split("/");
    nodes.set(path, {
      id: path,
      kind: "run",
      runId,
      label: runId,
      sub: `${entity}/${project}`,
      href: `/${[entity, project, "runs", runId].map(encodeURIComponent).join("/")}`,
    });
  }
  const edges = [];
  const seen = new Set();
  for (const e of data.edges) {
    if (!nodes.has(e.run) || !nodes.has(e.artifact)) continue; // beyond the asked depth
    const [from, to] = e.kind === "logged" ? [e.run, e.artifact] : [e.artifact, e.run];
    const key = from + "\u0000" + to;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ from, to, kind: e.kind });
  }
  return { nodes: [...nodes.values()], edges };
}

/** Edges that close a cycle (a run that used what it logged), found by depth-first search. */
function backEdges(ids, out) {
  const state = new Map(); // 1: on the stack, 2: done
  const back = new Set();
  const visit = (root) => {
    const stack = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = out.get(top[0])[top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next.to) === 1) back.add(next);
      else if (!state.has(next.to)) {
        state.set(next.to, 1);
        stack.push([next.to, 0]);
      }
    }
  };
  for (const id of ids) if (!state.has(id)) visit(id);
  return back;
}

/**
 * Positions for every node: {positions: Map(id -> {x, y, layer}), width, height}.
 * Coordinates are node top-left corners in graph units.
 */
export function layoutLayers({ nodes, edges }) {
  const ids = nodes.map((n) => n.id);
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.from).push(e);
  const back = backEdges(ids, out);
  const forward = edges.filter((e) => !back.has(e));

  // Longest path from a source, in topological order (Kahn).
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const e of forward) indegree.set(e.to, indegree.get(e.to) + 1);
  const layer = new Map(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  const outForward = new Map(ids.map((id) => [id, []]));
  for (const e of forward) outForward.get(e.from).push(e.to);
  while (queue.length) {
    const id = queue.shift();
    for (const to of outForward.get(id)) {
      layer.set(to, Math.max(layer.get(to), layer.get(id) + 1));
      indegree.set(to, indegree.get(to) - 1);
      if (indegree.get(to) === 0) queue.push(to);
    }
  }

  const layers = [];
  for (const id of ids) (layers[layer.get(id)] ||= []).push(id);
  const inForward = new Map(ids.map((id) => [id, []]));
  for (const e of forward) inForward.get(e.to).push(e.from);
  const order = new Map();
  const renumber = () => layers.forEach((row) => row && row.forEach((id, i) => order.set(id, i)));
  renumber();
  const barycentre = (id, neighbours) => {
    const ns = neighbours.get(id);
    return ns.length ? ns.reduce((sum, n) => sum + order.get(n), 0) / ns.length : order.get(id);
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const sequence = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const row of sequence) {
      if (!row) continue;
      const weights = new Map(row.map((id) => [id, barycentre(id, down ? inForward : outForward)]));
      row.sort((a, b) => weights.get(a) - weights.get(b));
      renumber();
    }
  }

  const tallest = Math.max(1, ...layers.map((row) => (row ? row.length : 0)));
  const height = tallest * NODE_H + (tallest - 1) * ROW_GAP;
  const positions = new Map();
  layers.forEach((row, l) => {
    if (!row) return;
    const span = row.length * NODE_H + (row.length - 1) * ROW_GAP;
    row.forEach((id, i) => {
      positions.set(id, { x: l * (NODE_W + LAYER_GAP), y: (height - span) / 2 + i * (NODE_H + ROW_GAP), layer: l });
    });
  });
  const width = layers.length * NODE_W + Math.max(0, layers.length - 1) * LAYER_GAP;
  return { positions, width, height };
}
