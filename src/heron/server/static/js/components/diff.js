// A line diff of two texts (an op's source, an object's canonical JSON):
// common prefix and suffix trimmed, then a longest-common-subsequence table
// over the lines in between; removed lines red, added lines green.
import { html } from "../../vendor/preact-htm.js";

const MAX_CELLS = 4_000_000; // beyond this the changed middle shows as all removed, all added

/** [{op: " " | "-" | "+", text, a, b}] turning lines `a` into lines `b`. */
export function diffLines(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) endA--, endB--;
  const out = [];
  for (let i = 0; i < start; i++) out.push({ op: " ", text: a[i], a: i + 1, b: i + 1 });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > MAX_CELLS) {
    midA.forEach((text, i) => out.push({ op: "-", text, a: start + i + 1 }));
    midB.forEach((text, j) => out.push({ op: "+", text, b: start + j + 1 }));
  } else {
    // lcs[i][j]: the LCS length of midA[i:] and midB[j:], one flat array.
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = midA[i] === midB[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        out.push({ op: " ", text: midA[i], a: start + i + 1, b: start + j + 1 });
        i++, j++;
      } else if (i < n && (j === m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
        out.push({ op: "-", text: midA[i], a: start + i + 1 });
        i++;
      } else {
        out.push({ op: "+", text: midB[j], b: start + j + 1 });
        j++;
      }
    }
  }
  const shift = endA - start - (endB - start);
  for (let i = endA; i < a.length; i++) out.push({ op: " ", text: a[i], a: i + 1, b: i + 1 - shift });
  return out;
}

const splitLines = (text) => (text === "" ? [] : text.replace(/\n$/, "").split("\n"));

/** Two texts' line diff, +/- counts on top; `oldLabel`/`newLabel` name the sides. */
export function DiffView({ before, after, oldLabel, newLabel }) {
  const lines = diffLines(splitLines(before), splitLines(after));
  const added = lines.filter((l) => l.op === "+").length;
  const removed = lines.filter((l) => l.op === "-").length;
  return html`<div class="diff-view">
    <div class="diff-head">
      <span class="diff-removed-count">−${removed}</span> <span class="diff-added-count">+${added}</span>
      <span class="muted">${oldLabel} → ${newLabel}</span>
      ${!added && !removed && html`<span class="muted">no differences</span>`}
    </div>
    <pre class="diff-lines">${lines.map(
      (l, k) => html`<div key=${k} class=${"diff-line" + (l.op === "+" ? " diff-add" : l.op === "-" ? " diff-del" : "")} data-op=${l.op}
        ><span class="diff-num">${l.a ?? ""}</span><span class="diff-num">${l.b ?? ""}</span><span class="diff-sign">${l.op}</span><span class="diff-text">${l.text}</span></div>`,
    )}</pre>
  </div>`;
}
