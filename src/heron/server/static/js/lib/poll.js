// Live updates by polling: cheap, works through any proxy, and stops while the
// tab is hidden. `usePoll(fn, ms, deps)` calls fn now and every ms after that.
import { useEffect, useRef } from "../../vendor/preact-htm.js";

export function usePoll(fn, intervalMs, deps = []) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    let timer = null;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) {
        try {
          await saved.current();
        } catch (error) {
          console.warn("poll failed:", error.message);
        }
      }
      if (!stopped && intervalMs) timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}
