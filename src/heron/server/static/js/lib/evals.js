// Evaluations as the evaluation pages see them: an `Evaluation.evaluate` call
// (inputs self = the Evaluation's ref, model = the model's ref; output = the
// scorer summaries) and its `Evaluation.predict_and_score` children (inputs
// example = the dataset row; output {output, scores: {scorer: value}, model_latency}).
import { canonicalText } from "./weave.js";

export const EVALUATE_OP = "Evaluation.evaluate";
export const PREDICT_AND_SCORE_OP = "Evaluation.predict_and_score";
const CHILDREN_PAGE = 1000;

/** `weave:///e/p/object/name:digest` -> {name, digest} (null for other values). */
export function parseRef(value) {
  if (typeof value !== "string" || !value.startsWith("weave:///")) return null;
  const parts = value.slice("weave:///".length).split("/");
  if (parts.length !== 4) return null;
  const at = parts[3].lastIndexOf(":");
  return at > 0 ? { kind: parts[2], name: parts[3].slice(0, at), digest: parts[3].slice(at + 1) } : null;
}

/** The numeric leaves of a summary as [["exact.correct.true_fraction", 0.66], ...] in order. */
export function metricsOf(output) {
  const out = [];
  const walk = (value, path) => {
    if (typeof value === "boolean") out.push([path, value ? 1 : 0]);
    else if (typeof value === "number") out.push([path, value]);
    else if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(output, "");
  return out;
}

/** A metric's scorer: the first part of its path. */
export const scorerOf = (metric) => metric.split(".")[0];

/** Metrics where lower is better: latencies, token counts and costs. */
export function lowerIsBetter(metric) {
  return /latency|tokens|cost/i.test(metric);
}

/** One headline number per scorer: its first fraction or mean (or its first number). */
export function headlines(output) {
  const byScorer = new Map();
  for (const [metric, value] of metricsOf(output)) {
    const scorer = scorerOf(metric);
    if (scorer === "model_latency") continue;
    const better = /(fraction|mean)$/.test(metric);
    if (!byScorer.has(scorer) || (better && !byScorer.get(scorer).better)) byScorer.set(scorer, { metric, value, better });
  }
  return [...byScorer.values()].map(({ metric, value }) => [metric, value]);
}

/** Every predict_and_score child of an evaluate call, a page at a time. */
export async function childrenOf(calls, evalId) {
  const found = [];
  for (let offset = 0; ; offset += CHILDREN_PAGE) {
    const page = await calls.query({
      filter: { parent_ids: [evalId], op_names: [PREDICT_AND_SCORE_OP] },
      sort_by: [["started_at", "asc"]],
      limit: CHILDREN_PAGE,
      offset,
    });
    found.push(...page.calls);
    if (page.calls.length < CHILDREN_PAGE) return found;
  }
}

/**
 * The rows of several evaluations matched by their dataset row: [{key, example,
 * results: [child | null per evaluation], disagree}] in the first one's order.
 */
export function matchRows(childLists) {
  const rows = new Map();
  childLists.forEach((children, e) => {
    for (const child of children) {
      const example = child.inputs ? child.inputs.example : undefined;
      const key = canonicalText(example);
      if (!rows.has(key)) rows.set(key, { key, example, results: childLists.map(() => null) });
      const row = rows.get(key);
      if (!row.results[e]) row.results[e] = child;
    }
  });
  const all = [...rows.values()];
  for (const row of all) row.disagree = disagrees(row.results);
  return all;
}

/** The scores of a predict_and_score child ({} when it failed). */
export function scoresOf(child) {
  const out = child && child.output;
  return out && typeof out === "object" && out.scores && typeof out.scores === "object" ? out.scores : {};
}

/** True when any scorer's value differs between the evaluations (a missing result counts). */
function disagrees(results) {
  if (results.some((r) => r === null)) return true;
  const scorers = new Set(results.flatMap((r) => Object.keys(scoresOf(r))));
  for (const scorer of scorers) {
    const first = canonicalText(scoresOf(results[0])[scorer]);
    if (results.some((r) => canonicalText(scoresOf(r)[scorer]) !== first)) return true;
  }
  return false;
}
