// The values of one media key (a table, a plot) across runs, by step, for the
// panels that show them: fetched once per run, again every 10 s while a run runs.
import { useMemo, useState } from "../../vendor/preact-htm.js";
import { usePoll } from "./poll.js";
import { fetchKeyValues } from "./tables.js";

const LIVE_MS = 10000;

/**
 * {values: Map(runId -> [{step, value}]) | null while loading, error, steps: every step
 * any run logged the key at, in order}. Only the first `maxRuns` runs are asked.
 */
export function useKeyValues({ entity, project, runs, keyName, types, maxRuns }) {
  const [values, setValues] = useState(null);
  const [error, setError] = useState(null);
  const asked = runs.slice(0, maxRuns);
  const runsKey = asked.map((r) => r.run_id).join(",");
  const anyRunning = asked.some((r) => r.state === "running");
  usePoll(
    async () => {
      try {
        const found = await Promise.all(asked.map((r) => fetchKeyValues(entity, project, r.run_id, keyName, types)));
        setValues(new Map(asked.map((r, i) => [r.run_id, found[i]])));
        setError(null);
      } catch (e) {
        setError(e);
        setValues((old) => old || new Map());
      }
    },
    anyRunning ? LIVE_MS : 0,
    [entity, project, runsKey, keyName, anyRunning],
  );
  const steps = useMemo(() => {
    if (!values) return [];
    const all = new Set();
    for (const list of values.values()) list.forEach((v) => all.add(v.step));
    return [...all].sort((a, b) => a - b);
  }, [values]);
  return { values, error, steps };
}

/**
 * Each run's value at `step` (null: its latest), as [{runId, name, step, value}]
 * in the order of `runs`; runs without one are left out.
 */
export function valuesAt(runs, values, step) {
  const out = [];
  for (const run of runs) {
    const list = (values && values.get(run.run_id)) || [];
    const found = step === null ? list[list.length - 1] : list.find((v) => v.step === step);
    if (found) out.push({ runId: run.run_id, name: run.name || run.run_id, step: found.step, value: found.value });
  }
  return out;
}
