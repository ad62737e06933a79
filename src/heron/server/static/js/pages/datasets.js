// The weave datasets list of a project (see components/object-list.js).
import { html, render } from "../../vendor/preact-htm.js";
import { pageParams } from "../components/common.js";
import { ObjectList } from "../components/object-list.js";

const { root, entity, project, section } = pageParams();

render(html`<${ObjectList} entity=${entity} project=${project} section=${section} />`, root);
