/* The editor's "Canned replies" tab: list every team's canned replies (search, team, language), write
 * a new one or change one (team, language, shortcut, title, text with variables), remove one.
 * Advisors insert them with "/" in the console (console-canned.js).
 *
 * editor.js switches the tab; this file fills its panel and label, in the page's language (the
 * <html lang> editor.js sets). Everything from the server is inserted with textContent.
 */
(() => {
  "use strict";

  const { $, el, show } = LumenCommon;
  const PATH = "/api/editor/canned";
  const STRINGS = LumenCommon.strings({
    tab: ["Canned replies", "Réponses types"],
    intro: ["Replies advisors insert by typing “/” and the shortcut in the console, shared by a team, one per language. "
      + "Variables are filled for the conversation when the advisor picks the reply.",
    "Réponses que les conseillers insèrent en tapant « / » et le raccourci dans la console, partagées par une équipe, une par langue. "
      + "Les variables sont remplies pour la discussion quand le conseiller choisit la réponse."],
    search: ["Search", "Rechercher"], team: ["Team", "Équipe"], lang: ["Language", "Langue"], all: ["all", "toutes"],
    shortcut: ["Shortcut", "Raccourci"], title: ["Title", "Titre"], text: ["Text", "Texte"],
    variables: ["Variables (click to insert)", "Variables (cliquer pour insérer)"],
    newReply: ["New canned reply", "Nouvelle réponse type"], editing: [(s) => `Changing /${s}`, (s) => `Modification de /${s}`],
    save: ["Save", "Enregistrer"], clear: ["New", "Nouvelle"], edit: ["Edit", "Modifier"], remove: ["Remove", "Supprimer"],
    confirmRemove: [(s) => `Remove /${s}?`, (s) => `Supprimer /${s} ?`],
    saved: [(s) => `/${s} saved.`, (s) => `/${s} enregistrée.`], removed: [(s) => `/${s} removed.`, (s) => `/${s} supprimée.`],
    none: ["No canned reply yet.", "Aucune réponse type pour l'instant."],
    by: [(who, when) => `changed by ${who}, ${when}`, (who, when) => `modifiée par ${who}, ${when}`],
  });
  const toast = LumenCommon.toaster(6000);
  const lang = () => (document.documentElement.lang === "fr" ? "fr" : "en");
  const t = () => STRINGS[lang()];
  const state = { replies: [], variables: [], editing: null, loaded: false };

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(path, options);
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = data && data.detail;
      const message = typeof detail === "string" ? detail : Array.isArray(detail)
        ? detail.map((d) => `${(d.loc || []).slice(-1)[0]}: ${d.msg}`).join("; ") : `HTTP ${response.status}`;
      throw Object.assign(new Error(message), { status: response.status });
    }
    return data;
  }

  // ---------------------------------------------------------------- the panel, built once
  const field = (id, labelKey, input) => [el("label", { for: id, class: "field-label", "data-canned": labelKey }), input];
  const langSelect = (id, withAll) => el("select", { id },
    withAll ? el("option", { value: "", "data-canned": "all" }) : null,
    el("option", { value: "en", text: "English" }), el("option", { value: "fr", text: "Français" }));

  const filters = el("form", { class: "canned-filters", onsubmit: (event) => { event.preventDefault(); load(); } },
    ...field("canned-search", "search", el("input", { id: "canned-search", type: "search", maxlength: "100", oninput: () => load() })),
    ...field("canned-filter-team", "team", el("input", { id: "canned-filter-team", maxlength: "40", onchange: () => load() })),
    ...field("canned-filter-lang", "lang", langSelect("canned-filter-lang", true)));
  const list = el("ul", { id: "canned-list", class: "canned-list", "aria-live": "polite" });
  const text = el("textarea", { id: "canned-text", rows: "7", maxlength: "2000", required: true });
  const chips = el("div", { id: "canned-variables", class: "canned-variables" });
  const error = el("p", { id: "canned-error", class: "error", role: "alert" });
  const form = el("form", { id: "canned-form", class: "canned-form", novalidate: true, onsubmit: (event) => { event.preventDefault(); save(); } },
    el("h2", { id: "canned-form-title" }),
    ...field("canned-team", "team", el("input", { id: "canned-team", maxlength: "40", value: "support", required: true })),
    ...field("canned-lang", "lang", langSelect("canned-lang", false)),
    ...field("canned-shortcut", "shortcut", el("input", { id: "canned-shortcut", maxlength: "40", required: true, placeholder: "refund" })),
    ...field("canned-title", "title", el("input", { id: "canned-title", maxlength: "120", required: true })),
    ...field("canned-text", "text", text),
    el("div", { class: "field-label", "data-canned": "variables" }), chips, error,
    el("div", { class: "actions" },
      el("button", { class: "btn primary", type: "submit", "data-canned": "save" }),
      el("button", { class: "btn ghost", type: "button", "data-canned": "clear", onclick: () => edit(null) })));
  $("panel-canned").append(el("div", { class: "columns" },
    el("div", { class: "card" }, el("h2", { "data-canned": "tab" }), el("p", { class: "muted", "data-canned": "intro" }), filters, list),
    el("div", { class: "card" }, form)));

  // ---------------------------------------------------------------- language
  function applyStrings() {
    const strings = t();
    $("tab-canned").textContent = strings.tab;
    for (const node of document.querySelectorAll("[data-canned]")) node.textContent = strings[node.dataset.canned];
    $("canned-form-title").textContent = state.editing ? strings.editing(state.editing.shortcut) : strings.newReply;
    renderList();
    renderVariables();
  }
  for (const id of ["app-lang", "login-lang"]) $(id).addEventListener("change", () => setTimeout(applyStrings, 0));

  // ---------------------------------------------------------------- list
  async function load() {
    const params = new URLSearchParams({ q: $("canned-search").value });
    if ($("canned-filter-team").value.trim()) params.set("team", $("canned-filter-team").value.trim());
    if ($("canned-filter-lang").value) params.set("lang", $("canned-filter-lang").value);
    try {
      state.replies = await api("GET", `${PATH}?${params}`);
      if (!state.variables.length) state.variables = await api("GET", `${PATH}/variables`);
    } catch (failure) {
      if (failure.status !== 401) error.textContent = failure.message;
      return;
    }
    state.loaded = true;
    renderList();
    renderVariables();
  }

  function renderList() {
    const strings = t();
    if (!state.replies.length) { show(list, el("li", { class: "muted", text: state.loaded ? strings.none : "" })); return; }
    show(list, ...state.replies.map((reply) => el("li", { class: "canned-item", "data-testid": "canned-item", "data-shortcut": reply.shortcut },
      el("div", { class: "head" }, el("b", { text: `/${reply.shortcut}` }), el("span", { class: "chip", text: reply.lang }),
        el("span", { class: "chip", text: reply.team }), el("span", { class: "title", text: reply.title })),
      el("p", { class: "text", text: reply.text }),
      el("div", { class: "muted", text: strings.by(reply.updated_by, new Date(reply.updated_at_ms).toLocaleString(lang() === "fr" ? "fr-FR" : "en-GB")) }),
      el("div", { class: "actions" },
        el("button", { class: "btn small", type: "button", text: strings.edit, "aria-label": `${strings.edit} /${reply.shortcut} (${reply.lang}, ${reply.team})`, onclick: () => edit(reply) }),
        el("button", { class: "btn small danger", type: "button", text: strings.remove, "aria-label": `${strings.remove} /${reply.shortcut} (${reply.lang}, ${reply.team})`, onclick: () => remove(reply) })))));
  }

  function renderVariables() {
    show(chips, ...state.variables.map((variable) => el("button", {
      class: "chip canned-variable", type: "button", text: `{${variable.name}}`, title: variable[lang()],
      onclick: () => insertVariable(variable.name),
    })));
  }

  function insertVariable(name) {
    const at = text.selectionStart ?? text.value.length;
    const end = text.selectionEnd ?? at;
    text.value = `${text.value.slice(0, at)}{${name}}${text.value.slice(end)}`;
    text.focus();
    text.setSelectionRange(at + name.length + 2, at + name.length + 2);
  }

  // ---------------------------------------------------------------- edit, save, remove
  function edit(reply) {
    state.editing = reply;
    $("canned-team").value = reply ? reply.team : "support";
    $("canned-lang").value = reply ? reply.lang : lang();
    $("canned-shortcut").value = reply ? reply.shortcut : "";
    $("canned-title").value = reply ? reply.title : "";
    text.value = reply ? reply.text : "";
    error.textContent = "";
    applyStrings();
    $(reply ? "canned-text" : "canned-shortcut").focus();
  }

  async function save() {
    const body = {
      team: $("canned-team").value.trim(), lang: $("canned-lang").value, shortcut: $("canned-shortcut").value.trim().replace(/^\//, ""),
      title: $("canned-title").value.trim(), text: text.value,
    };
    error.textContent = "";
    try {
      const saved = state.editing ? await api("PUT", `${PATH}/${encodeURIComponent(state.editing.id)}`, body) : await api("POST", PATH, body);
      toast(t().saved(saved.shortcut));
      edit(null);
      await load();
    } catch (failure) {
      if (failure.status !== 401) error.textContent = failure.message;
    }
  }

  async function remove(reply) {
    if (!window.confirm(t().confirmRemove(reply.shortcut))) return;
    try {
      await api("DELETE", `${PATH}/${encodeURIComponent(reply.id)}`);
      toast(t().removed(reply.shortcut));
      if (state.editing && state.editing.id === reply.id) edit(null);
    } catch (failure) {
      if (failure.status !== 401 && failure.status !== 404) toast(failure.message, true);
    }
    await load();
  }

  // editor.js selects the tab (a click, or the arrow keys): the list is loaded each time it is shown.
  new MutationObserver(() => { if ($("tab-canned").getAttribute("aria-selected") === "true") load(); })
    .observe($("tab-canned"), { attributes: true, attributeFilter: ["aria-selected"] });
  $("canned-lang").value = lang();
  applyStrings();
})();
