// Server-side paging for long tables: previous/next, the range shown, the page size.
import { html } from "../../vendor/preact-htm.js";

export const PAGE_SIZES = [50, 100];

export function Pager({ page, pageSize, total, onPage, onPageSize }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : page * pageSize + 1;
  const last = Math.min(total, (page + 1) * pageSize);
  return html`
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${page === 0} onClick=${() => onPage(page - 1)}>‹ Prev</button>
      <span class="pager-range">${first.toLocaleString()}–${last.toLocaleString()} of ${total.toLocaleString()}</span>
      <button type="button" disabled=${page >= pages - 1} onClick=${() => onPage(page + 1)}>Next ›</button>
      <label class="pager-size">Rows per page
        <select value=${pageSize} onChange=${(e) => onPageSize(Number(e.currentTarget.value))}>
          ${PAGE_SIZES.map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </label>
    </nav>
  `;
}
