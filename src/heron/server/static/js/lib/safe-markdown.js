// Markdown to Preact nodes, safe by construction: user text only ever becomes text
// nodes and attribute values (never HTML), and links keep only http(s), mailto and
// relative targets. Enough of CommonMark/GFM for model cards: headings, paragraphs,
// emphasis, code spans and fenced blocks, links, nested lists, quotes, rules, tables.
import { h } from "../../vendor/preact-htm.js";

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const TABLE_RULE = /^ *\|? *:?-+:? *(?:\| *:?-+:? *)*\|? *$/;
const SAFE_URL = /^(?:https?:\/\/|mailto:|\/(?![/\\])|#|\.{1,2}\/|[\w.-]+(?:[/?#]|$))/i;
const PUNCTUATION = /[!-/:-@[-`{-~]/;

/** ``href`` when it is a link a model card may carry, else null (``javascript:``, ``data:``…). */
export function safeHref(href) {
  const url = href.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^(?:https?|mailto):/i.test(url)) return null;
  return SAFE_URL.test(url) ? url : null;
}

/** The Preact nodes of a markdown document. */
export function renderMarkdown(source) {
  const lines = String(source || "").replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  return blocks(lines, 0);
}

/** The first line of text of a markdown document, without its markup (for lists). */
export function markdownSummary(source) {
  const line = String(source || "").split(/\r?\n/).find((l) => l.trim() && !FENCE.test(l) && !RULE.test(l)) || "";
  return line
    .replace(/^ {0,3}(#{1,6}|>|[-*+]|\d+[.)])\s*/, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`]+/g, "")
    .trim();
}

const startsBlock = (line) => FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
const cells = (line) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/).map((c) => c.trim());

function blocks(lines, depth) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (!line.trim()) {
      i++;
    } else if ((m = FENCE.exec(line))) {
      const close = new RegExp(`^ {0,3}${m[1][0] === "`" ? "`" : "~"}{${m[1].length},}\\s*$`);
      const body = [];
      for (i++; i < lines.length && !close.test(lines[i]); i++) body.push(lines[i]);
      i++;
      out.push(h("pre", { class: "md-code" }, h("code", { "data-lang": m[2] || undefined }, body.join("\n"))));
    } else if ((m = HEADING.exec(line))) {
      out.push(h("h" + Math.min(6, m[1].length + 1), { class: "md-h" + m[1].length }, inline(m[2] || "")));
      i++;
    } else if (RULE.test(line)) {
      out.push(h("hr", null));
      i++;
    } else if (QUOTE.test(line)) {
      const body = [];
      for (; i < lines.length && lines[i].trim() && (m = QUOTE.exec(lines[i]) || [null, lines[i]]); i++) body.push(m[1]);
      out.push(h("blockquote", null, depth < 8 ? blocks(body, depth + 1) : body.join(" ")));
    } else if (ITEM.test(line)) {
      i = list(lines, i, depth, out);
    } else if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      i = table(lines, i, out);
    } else {
      const body = [];
      for (; i < lines.length && lines[i].trim() && (body.length === 0 || !startsBlock(lines[i])); i++) body.push(lines[i]);
      out.push(h("p", null, paragraph(body)));
    }
  }
  return out;
}

function list(lines, start, depth, out) {
  const first = ITEM.exec(lines[start]);
  const ordered = /\d/.test(first[2]);
  const items = [];
  let i = start;
  let loose = false;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || /\d/.test(m[2]) !== ordered) break;
    const indent = m[1].length + m[2].length + 1;
    const body = [m[3] || ""];
    for (i++; i < lines.length; i++) {
      const line = lines[i];
      if (!line.trim()) {
        const next = lines.slice(i + 1).find((l) => l.trim());
        if (next === undefined || !/^ {2,}/.test(next)) break;
        body.push("");
        loose = true;
      } else if (/^ {2,}/.test(line)) {
        body.push(line.slice(Math.min(indent, line.length - line.trimStart().length)));
      } else if (!startsBlock(line) && body[body.length - 1].trim()) {
        body.push(line); // a lazy continuation of the item's paragraph
      } else break;
    }
    items.push(body);
    while (i < lines.length && !lines[i].trim()) i++;
  }
  const attrs = ordered && Number.parseInt(first[2], 10) !== 1 ? { start: Number.parseInt(first[2], 10) } : null;
  out.push(
    h(
      ordered ? "ol" : "ul",
      attrs,
      items.map((body) => {
        const inner = depth < 8 ? blocks(body, depth + 1) : [body.join(" ")];
        const tight = !loose && inner.length && inner[0].type === "p";
        return h("li", null, tight ? [inner[0].props.children, ...inner.slice(1)] : inner);
      }),
    ),
  );
  return i;
}

function table(lines, start, out) {
  const head = cells(lines[start]);
  const align = cells(lines[start + 1]).map((c) => (c.endsWith(":") ? (c.startsWith(":") ? "center" : "right") : c.startsWith(":") ? "left" : null));
  const rows = [];
  let i = start + 2;
  for (; i < lines.length && lines[i].trim() && lines[i].includes("|"); i++) rows.push(cells(lines[i]));
  const style = (k) => (align[k] ? { textAlign: align[k] } : null);
  out.push(
    h(
      "table",
      { class: "md-table" },
      h("thead", null, h("tr", null, head.map((c, k) => h("th", { style: style(k) }, inline(c))))),
      h("tbody", null, rows.map((row) => h("tr", null, head.map((_, k) => h("td", { style: style(k) }, inline(row[k] || "")))))),
    ),
  );
  return i;
}

function paragraph(lines) {
  const out = [];
  lines.forEach((line, k) => {
    const hard = / {2,}$|\\$/.test(line) && k < lines.length - 1;
    out.push(...inline(line.trim().replace(/\\$/, "")));
    if (k < lines.length - 1) out.push(hard ? h("br", null) : " ");
  });
  return out;
}

/** Where the delimiter ``mark`` closes ``text`` after ``from`` (not escaped, not empty), or -1. */
function closing(text, mark, from) {
  for (let j = from; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === "`") {
      const end = text.indexOf("`", j + 1);
      if (end > 0) j = end;
    } else if (text.startsWith(mark, j) && j > from && text[j - 1] !== " " && (mark.length === 2 || text[j + 1] !== mark)) {
      if (mark[0] === "_" && /\w/.test(text[j + mark.length] || "")) continue; // snake_case
      return j;
    }
  }
  return -1;
}

/** The link target ``(url "title")`` at ``text[from]``: [url, end] or null. */
function target(text, from) {
  if (text[from] !== "(") return null;
  let depth = 0;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "(") depth++;
    else if (text[j] === ")" && --depth === 0) {
      const inner = text.slice(from + 1, j).trim();
      const url = inner.startsWith("<") ? inner.slice(1, inner.indexOf(">") > 0 ? inner.indexOf(">") : undefined) : inner.split(/\s+/)[0];
      return [url, j + 1];
    }
  }
  return null;
}

function labelEnd(text, from) {
  let depth = 0;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === "[") depth++;
    else if (text[j] === "]" && --depth === 0) return j;
  }
  return -1;
}

function inline(text) {
  const out = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push(plain);
    plain = "";
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === "\\" && PUNCTUATION.test(text[i + 1] || "")) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      const run = /^`+/.exec(text.slice(i))[0];
      const end = text.indexOf(run, i + run.length);
      if (end > 0) {
        flush();
        out.push(h("code", null, text.slice(i + run.length, end).replace(/^ (.+) $/, "$1")));
        i = end + run.length;
        continue;
      }
      plain += run;
      i += run.length;
      continue;
    }
    if (c === "*" || c === "_") {
      const mark = text[i + 1] === c ? c + c : c;
      const wordy = c === "_" && /\w/.test(text[i - 1] || "");
      const end = wordy || /\s/.test(text[i + mark.length] || " ") ? -1 : closing(text, mark, i + mark.length);
      if (end > 0) {
        flush();
        out.push(h(mark.length === 2 ? "strong" : "em", null, inline(text.slice(i + mark.length, end))));
        i = end + mark.length;
        continue;
      }
      plain += mark;
      i += mark.length;
      continue;
    }
    const image = c === "!" && text[i + 1] === "[";
    if (c === "[" || image) {
      const open = image ? i + 1 : i;
      const close = labelEnd(text, open);
      const link = close > 0 ? target(text, close + 1) : null;
      if (link) {
        const label = text.slice(open + 1, close);
        const href = safeHref(link[0]);
        flush();
        if (href === null) out.push(...inline(label));
        else {
          const external = /^(?:https?:|mailto:)/i.test(href);
          const attrs = { href, class: image ? "md-image-link" : null, ...(external ? { target: "_blank", rel: "noopener noreferrer" } : {}) };
          out.push(h("a", attrs, image ? label || href : inline(label)));
        }
        i = link[1];
        continue;
      }
    }
    plain += c;
    i++;
  }
  flush();
  return out;
}
