// Home: every project with its run count and last activity, and a search box.
import { html, render, useState } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { usePoll } from "../lib/poll.js";
import { Empty, ErrorBox, SearchBox, pageParams } from "../components/common.js";

function ProjectsPage() {
  const [projects, setProjects] = useState(null);
  const [error, setError] = useState(null);
  const [query, setQuery] = useState("");
  usePoll(async () => {
    try {
      const data = await api.get("/projects");
      setProjects(data.projects);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, 10000);

  const needle = query.trim().toLowerCase();
  const shown = (projects || []).filter(
    (p) => !needle || p.name.toLowerCase().includes(needle) || p.entity.toLowerCase().includes(needle),
  );
  return html`
    <section class="page">
      <div class="page-head">
        <h1>Projects</h1>
        <${SearchBox} value=${query} onInput=${setQuery} placeholder="Search projects" />
      </div>
      <${ErrorBox} error=${error} />
      ${projects === null
        ? html`<p class="muted">Loading…</p>`
        : shown.length === 0
          ? html`<${Empty}>${projects.length ? "No project matches." : "No projects yet: run heron demo, or log a run with heron.init()."}<//>`
          : html`<table class="grid projects">
              <thead><tr><th>Project</th><th>Entity</th><th class="num">Runs</th><th>Last activity</th><th>Created</th></tr></thead>
              <tbody>
                ${shown.map(
                  (p) => html`<tr key=${p.entity + "/" + p.name} data-project=${p.name}>
                    <td><a href=${`/${encodeURIComponent(p.entity)}/${encodeURIComponent(p.name)}`}>${p.name}</a></td>
                    <td class="entity-cell">
                      ${p.entity}
                      <a class="entity-link" href=${`/${encodeURIComponent(p.entity)}/registry`}>registry</a>
                      <a class="entity-link" href=${`/${encodeURIComponent(p.entity)}/automations`}>automations</a>
                    </td>
                    <td class="num">${p.run_count}</td>
                    <td title=${fmtTime(p.last_activity)}>${fmtAgo(p.last_activity)}</td>
                    <td>${fmtTime(p.created_at)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </section>
  `;
}

render(html`<${ProjectsPage} />`, pageParams().root);
