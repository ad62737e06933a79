// The width of an element, kept current as the layout changes (panels resize with
// the window and go full screen), for charts drawn in plain SVG.
import { useEffect, useRef, useState } from "../../vendor/preact-htm.js";

export function useWidth(ref, fallback = 480) {
  const [width, setWidth] = useState(fallback);
  const watched = useRef({ el: null, observer: null });
  useEffect(() => {
    // The element behind `ref` can change (a placeholder becomes the chart): follow it.
    const el = ref.current;
    if (el === watched.current.el) return;
    if (watched.current.observer) watched.current.observer.disconnect();
    watched.current = { el, observer: null };
    if (!el) return;
    const observer = new ResizeObserver(() => {
      const next = Math.floor(el.clientWidth);
      if (next > 0) setWidth((old) => (Math.abs(old - next) > 1 ? next : old));
    });
    observer.observe(el);
    watched.current.observer = observer;
  });
  useEffect(() => () => watched.current.observer && watched.current.observer.disconnect(), []);
  return width;
}
