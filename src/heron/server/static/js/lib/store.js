// One small state store per page: components read slices with useStore and
// change state only through store.set, so every view of the page agrees.
import { useEffect, useState } from "../../vendor/preact-htm.js";

export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const next = typeof patch === "function" ? patch(state) : patch;
      state = { ...state, ...next };
      listeners.forEach((fn) => fn(state));
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/** Re-render when the selected slice changes (compared with Object.is). */
export function useStore(store, select = (s) => s) {
  const [value, setValue] = useState(() => select(store.get()));
  useEffect(() => {
    let current = select(store.get());
    setValue(() => current);
    return store.subscribe((state) => {
      const next = select(state);
      if (!Object.is(next, current)) {
        current = next;
        setValue(() => next);
      }
    });
  }, [store]);
  return value;
}
