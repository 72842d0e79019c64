/* Help centre editor: the draft's files (upload, edit, remove), check and publish, preview a
 * question, versions and rollback, and what customers asked that the bot could not answer.
 *
 * Plain JavaScript, no build step; common.js (window.LumenCommon) holds what the editor shares
 * with the advisor console. Everything from the server (file names, articles, questions,
 * answers) is inserted with textContent.
 */
(() => {
  "use strict";

  const { $, el, show } = LumenCommon;
  LumenCommon.mount();

  const LANG_KEY = "lumen-editor:lang";
  const POLL_MS = 700;

  // ---------------------------------------------------------------- strings: [English, French]
  const STRINGS = LumenCommon.strings({
    loginTitle: ["Help centre editor", "Éditeur du centre d'aide"],
    loginIntro: ["Log in to write, check and publish the articles the bot answers from.",
      "Connectez-vous pour écrire, vérifier et publier les articles dont le bot se sert."],
    notEditor: ["This account is not an editor: ask an administrator for the editor role.",
      "Ce compte n'est pas éditeur : demandez le rôle éditeur à un administrateur."],
    product: ["Help centre editor", "Éditeur du centre d'aide"], tabDraft: ["Draft", "Brouillon"], tabPreview: ["Preview", "Aperçu"],
    tabVersions: "Versions", tabUnanswered: ["Unanswered questions", "Questions sans réponse"],
    draftFiles: ["Files waiting to be published", "Fichiers en attente de publication"],
    draftIntro: ["Markdown, HTML, PDF or CSV (FAQ) files. Publishing adds or changes these articles; the others stay as they are.",
      "Fichiers Markdown, HTML, PDF ou CSV (FAQ). Publier ajoute ou modifie ces articles ; les autres restent tels quels."],
    chooseFiles: ["Upload files…", "Téléverser des fichiers…"], newArticle: ["New article", "Nouvel article"],
    check: ["Check (dry run)", "Vérifier (essai)"], publish: ["Publish", "Publier"],
    publishAnyway: ["Publish anyway", "Publier quand même"], editing: ["Editing", "Modification"],
    fileText: ["File content", "Contenu du fichier"], fileName: ["File name", "Nom du fichier"],
    save: ["Save", "Enregistrer"], closeEditor: ["Close", "Fermer"], edit: ["Edit", "Modifier"], remove: ["Remove", "Supprimer"],
    saved: [(name) => `${name} saved.`, (name) => `${name} enregistré.`],
    removed: [(name) => `${name} removed.`, (name) => `${name} supprimé.`],
    uploaded: [(name) => `${name} uploaded.`, (name) => `${name} téléversé.`],
    noFiles: ["No file waiting. Upload one, write a new article, or draft one from unanswered questions.",
      "Aucun fichier en attente. Téléversez-en un, écrivez un nouvel article ou partez des questions sans réponse."],
    makes: ["Makes", "Articles"], noArticle: ["no article", "aucun article"], problems: ["To fix", "À corriger"],
    running: {
      check: ["Checking", "Vérification"], publish: ["Publishing", "Publication"], rollback: ["Rolling back", "Retour arrière"],
      thresholds: ["Setting the answer thresholds", "Réglage des seuils de réponse"],
    },
    runningFor: [(what, s) => `${what}… ${Math.round(s)} s (embedding and calibrating can take a while)`,
      (what, s) => `${what}… ${Math.round(s)} s (l'indexation et le calibrage peuvent prendre un moment)`],
    jobFailed: [(error) => `Failed: ${error}`, (error) => `Échec : ${error}`],
    checkTitle: ["Check: what publishing would do", "Vérification : ce que la publication ferait"],
    publishTitle: ["Published", "Publié"], blockedTitle: ["Publishing is blocked", "La publication est bloquée"],
    notPublishedTitle: ["Nothing published", "Rien n'a été publié"], nothingPublishable: ["Nothing to publish: no file in the draft can be published as it is. Fix the problems below.",
      "Rien à publier : aucun fichier du brouillon ne peut être publié tel quel. Corrigez les problèmes ci-dessous."],
    nothingToPublish: ["Nothing to publish: the draft makes no change to what is live.",
      "Rien à publier : le brouillon ne change rien à ce qui est en ligne."],
    added: ["Added", "Ajoutés"], changed: ["Changed", "Modifiés"], removedArticles: ["Removed", "Retirés"],
    unchanged: [(n) => `${n} unchanged`, (n) => `${n} inchangés`],
    regressions: ["Question variants that would break", "Variantes de questions qui ne marcheraient plus"],
    regressionsHint: ["The bot answers these today from their article; after this publish it would not.",
      "Le bot y répond aujourd'hui avec leur article ; après cette publication, il ne le ferait plus."],
    misses: ["New question variants the bot would not answer from their article",
      "Nouvelles variantes auxquelles le bot ne répondrait pas avec leur article"],
    duplicates: ["Duplicate or near-duplicate articles", "Articles en double ou presque"],
    overlaps: ["Articles answering the same questions (do they repeat or contradict each other?)",
      "Articles qui répondent aux mêmes questions (se répètent-ils ou se contredisent-ils ?)"],
    sourceProblems: ["Files with problems (not published; what is live stays)",
      "Fichiers à corriger (non publiés ; ce qui est en ligne reste)"],
    kept: ["Kept as published because their file has a problem", "Gardés tels que publiés car leur fichier a un problème"],
    publishedVersion: [(v, seconds) => `Version v${v} is published (${seconds} s).`,
      (v, seconds) => `La version v${v} est publiée (${seconds} s).`],
    bot: {
      ready: [(v) => `Version v${v} is live: the bot answers from it.`, (v) => `La version v${v} est en ligne : le bot répond avec.`],
      loading: [(v) => `The bot is loading v${v}: it answers from the previous version for a few more seconds…`,
        (v) => `Le bot charge la v${v} : il répond encore quelques secondes avec la version précédente…`],
      unknown: [(v) => `No assistant reports which version it answers from: a running one answers from v${v} within a few seconds.`,
        (v) => `Aucun assistant n'indique la version dont il se sert : un assistant en marche répondra avec la v${v} d'ici quelques secondes.`],
    },
    liveLoading: [(v) => `live: v${v} · bot loading…`, (v) => `en ligne : v${v} · bot en chargement…`],
    nothingLive: ["nothing published yet", "rien de publié"],
    handled: [(n) => `${n} unanswered questions marked as handled.`, (n) => `${n} questions sans réponse marquées comme traitées.`],
    previewTitle: ["What would the bot do?", "Que ferait le bot ?"], question: ["Customer question", "Question du client"],
    against: ["Against", "Sur"], againstDraft: ["the draft", "le brouillon"], againstLive: ["what is live", "ce qui est en ligne"],
    questionLang: ["Language", "Langue"], detect: ["detect", "détecter"], ask: ["Ask", "Demander"],
    asking: ["Asking… (a changed draft is calibrated first: a few seconds)",
      "Question en cours… (un brouillon modifié est d'abord calibré : quelques secondes)"],
    outcome: ["Outcome", "Résultat"],
    outcomes: {
      answer: ["Answer", "Répond"], decline: ["Decline", "Décline"], escalate: ["Hand over to a person", "Passe à un conseiller"],
      smalltalk: ["Small talk", "Bavardage"],
    },
    article: "Article", confidence: ["Confidence", "Confiance"], reason: ["Reason", "Motif"], reply: ["Reply", "Réponse"],
    runnersUp: ["Runners-up", "Articles suivants"], none: ["none", "aucun"],
    knowledgeBase: { draft: ["on the draft", "sur le brouillon"], live: ["on what is live", "sur ce qui est en ligne"] },
    versionsTitle: ["Published versions", "Versions publiées"], version: "Version", who: ["Who", "Qui"], when: ["When", "Quand"],
    what: ["What changed", "Changements"], actions: "Actions",
    live: ["live", "en ligne"], rollback: ["Roll back to this version", "Revenir à cette version"],
    confirmRollback: [(v) => `Confirm: make v${v} live again`, (v) => `Confirmer : remettre v${v} en ligne`],
    rolledBack: [(v, to) => `v${to} is live again (as v${v}).`, (v, to) => `v${to} est de nouveau en ligne (en tant que v${v}).`],
    noVersions: ["Nothing published yet.", "Rien de publié pour l'instant."],
    kinds: { publish: ["publish", "publication"], rollback: ["rollback", "retour arrière"], ingest: ["ingest", "indexation"],
      thresholds: ["answer thresholds", "seuils de réponse"] },
    thresholdsSet: [(list) => `answer threshold ${list}`, (list) => `seuil de réponse ${list}`],
    allLanguages: ["all languages", "toutes les langues"],
    unansweredTitle: ["What customers asked that the bot could not answer", "Ce que les clients ont demandé sans obtenir de réponse"],
    unansweredIntro: ["Declined and escalated questions, answers marked unhelpful and advisors' suggestions, grouped by meaning, newest first.",
      "Questions déclinées ou transmises, réponses jugées inutiles et suggestions des conseillers, regroupées par sens, les plus récentes d'abord."],
    reload: ["Reload", "Actualiser"],
    noClusters: ["Nothing waiting: every question was answered or handled.", "Rien en attente : chaque question a eu sa réponse ou a été traitée."],
    asked: [(n) => `${n} ${n === 1 ? "time" : "times"}`, (n) => `${n} fois`], lastAsked: ["last asked", "dernière fois"],
    clusterOutcomes: {
      decline: ["declined", "déclinées"], escalate: ["handed over", "transmises"], unhelpful: ["unhelpful", "inutiles"],
      suggested: ["suggested by an advisor", "suggérées par un conseiller"],
    },
    suggestedAnswer: ["Advisor's suggested answer", "Réponse suggérée par un conseiller"],
    unhelpfulFrom: ["Unhelpful answers from", "Réponses inutiles tirées de"],
    draftArticle: ["New article draft", "Nouveau brouillon d'article"], addVariants: ["Add as questions of", "Ajouter comme questions de"],
    addVariantsButton: ["Add", "Ajouter"],
    drafted: [(name) => `${name} written into the draft: write or check the answer, then publish.`,
      (name) => `${name} ajouté au brouillon : écrivez ou vérifiez la réponse, puis publiez.`],
    newArticleTemplate: [
      (lang) => `---\nid: new-article-${lang}\ntitle: "New article"\nlang: ${lang}\nquestions:\n  - "a question customers ask"\n---\nThe answer customers should get.\n`,
      (lang) => `---\nid: nouvel-article-${lang}\ntitle: "Nouvel article"\nlang: ${lang}\nquestions:\n  - "une question que posent les clients"\n---\nLa réponse que les clients doivent obtenir.\n`,
    ],
  });

  let lang = LumenCommon.pickLanguage(LANG_KEY);
  let t = STRINGS[lang];

  // ---------------------------------------------------------------- language ($, el and show are common.js's)
  function applyStrings() {
    LumenCommon.applyStrings(lang, t);
    document.title = `Lumen Mobile — ${t.product}`;
  }

  LumenCommon.onLanguageChange(LANG_KEY, (code) => {
    lang = code;
    t = STRINGS[lang];
    applyStrings();
    renderAll();
  });

  const toast = LumenCommon.toaster(6000);

  function percent(value) {
    return value === null || value === undefined ? "–" : `${Math.round(value * 100)} %`;
  }

  function when(iso) {
    try { return new Date(iso).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB"); } catch { return iso; }
  }

  // ---------------------------------------------------------------- API
  const api = LumenCommon.apiClient({
    loggedOut: () => LumenCommon.showLogin(),
    loggedOutMessage: "log in first",
    explain: (data) => {
      const detail = data && data.detail;
      return typeof detail === "string" ? detail : Array.isArray(detail) ? detail.map((d) => d.msg).join("; ") : t.failed;
    },
  });

  const fileUrl = (name) => `/api/editor/drafts/${encodeURIComponent(name)}`;

  // ---------------------------------------------------------------- state
  const state = {
    me: null, files: [], report: null, versions: null, clusters: null, articles: [], preview: null, armedRollback: null, bot: null,
  };

  // ---------------------------------------------------------------- log in
  async function showApp(me) {
    state.me = me;
    LumenCommon.showApp();
    $("me").textContent = me.display_name;
    await Promise.all([loadFiles(), loadVersions(), loadBotState()]);
  }

  LumenCommon.onLogin(async (username, password) => {
    try {
      await api("POST", "/api/agent/login", { username, password });
    } catch (error) {
      return error.status === 401 ? t.badLogin : t.loginFailed;
    }
    try {
      const me = await api("GET", "/api/editor/me");
      LumenCommon.clearPassword();
      await showApp(me);
    } catch (error) {
      return error.status === 403 ? t.notEditor : t.loginFailed;
    }
  });

  LumenCommon.onLogout(api, "/api/editor/logout", LumenCommon.showLogin);

  // ---------------------------------------------------------------- tabs
  const tabs = [...document.querySelectorAll("[role=tab]")];
  function selectTab(name, focus = false) {
    for (const tab of tabs) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      $(tab.getAttribute("aria-controls")).hidden = !selected;
      if (selected && focus) tab.focus();
    }
    if (name === "versions") loadVersions();
    if (name === "unanswered" && state.clusters === null) loadClusters();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
    tab.addEventListener("keydown", (event) => {
      const index = tabs.indexOf(tab);
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (step) selectTab(tabs[(index + step + tabs.length) % tabs.length].dataset.tab, true);
    });
  }

  // ---------------------------------------------------------------- the draft's files
  async function loadFiles() {
    state.files = await api("GET", "/api/editor/drafts");
    renderFiles();
  }

  function problemList(problems) {
    return el("ul", { class: "problems" }, problems.map((p) => el("li", { text: p.text })));
  }

  function renderFiles() {
    const list = $("files");
    list.replaceChildren();
    if (!state.files.length) { list.append(el("li", { class: "muted empty", text: t.noFiles })); return; }
    for (const file of state.files) {
      list.append(el("li", { dataset: { name: file.name }, "data-testid": "draft-file" },
        el("div", { class: "head" },
          el("span", { class: "name", text: file.name }),
          file.problems.length ? el("span", { class: "chip bad", text: `${t.problems}: ${file.problems.length}` }) : null,
          el("span", { class: "spacer" }),
          file.editable ? el("button", { class: "btn small", type: "button", text: t.edit, "aria-label": `${t.edit} ${file.name}`, onclick: () => openEditor(file.name) }) : null,
          el("button", { class: "btn small danger", type: "button", text: t.remove, "aria-label": `${t.remove} ${file.name}`, onclick: () => removeFile(file.name) })),
        el("div", { class: "muted" }, `${t.makes}: `, file.articles.length ? file.articles.join(", ") : t.noArticle),
        file.problems.length ? problemList(file.problems) : null));
    }
  }

  $("upload").addEventListener("change", async (event) => {
    const chosen = [...event.target.files];
    event.target.value = "";
    const messages = [];
    for (const file of chosen) {
      try {
        const stored = await api("PUT", fileUrl(file.name), file, true);
        messages.push(stored.problems.length ? stored.problems.map((p) => p.text).join(" · ") : t.uploaded(file.name));
      } catch (error) {
        messages.push(`${file.name}: ${error.message}`);
      }
    }
    await loadFiles();
    toast(messages.join("\n"));
  });

  async function removeFile(name) {
    try {
      await api("DELETE", fileUrl(name));
      if ($("editing-name").value === name) closeEditor();
      toast(t.removed(name));
    } catch (error) { toast(error.message); }
    await loadFiles();
  }

  // ---------------------------------------------------------------- the text editor
  function showEditor(name, text) {
    $("editor-card").hidden = false;
    $("editing-name").value = name;
    $("editor-text").value = text;
    $("editor-text").focus();
  }

  async function openEditor(name) {
    try {
      const file = await api("GET", fileUrl(name));
      showEditor(name, file.text);
    } catch (error) { toast(error.message); }
  }

  function closeEditor() { $("editor-card").hidden = true; }

  $("close-editor").addEventListener("click", closeEditor);
  $("new-article").addEventListener("click", () => {
    let name = "new-article.md";
    for (let n = 2; state.files.some((f) => f.name === name); n += 1) name = `new-article-${n}.md`;
    showEditor(name, t.newArticleTemplate(lang));
  });
  $("save").addEventListener("click", async () => {
    const name = $("editing-name").value.trim();
    try {
      const stored = await api("PUT", fileUrl(name), new Blob([$("editor-text").value], { type: "text/plain" }), true);
      toast(stored.problems.length ? stored.problems.map((p) => p.text).join(" · ") : t.saved(name));
    } catch (error) { toast(`${name}: ${error.message}`); }
    await loadFiles();
  });

  // ---------------------------------------------------------------- jobs: check, publish, roll back
  let jobRunning = false;
  function setBusy(busy) {
    jobRunning = busy;
    for (const id of ["check", "publish"]) $(id).disabled = busy;
    for (const button of document.querySelectorAll("[data-rollback]")) button.disabled = busy;
  }

  async function runJob(path, body) {
    setBusy(true);
    const status = $("job");
    try {
      let job = await api("POST", path, body);
      while (job.state === "running") {
        status.textContent = t.runningFor(t.running[job.kind] || job.kind, job.seconds);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        job = await api("GET", `/api/editor/jobs/${job.id}`);
      }
      status.textContent = "";
      if (job.state === "failed") { status.textContent = t.jobFailed(job.error); return null; }
      return job;
    } catch (error) {
      status.textContent = error.message;
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function checkOrPublish(kind, confirm = false) {
    const job = await runJob(kind === "check" ? "/api/editor/check" : "/api/editor/publish", kind === "check" ? undefined : { confirm });
    if (!job) return;
    state.report = { kind, result: job.result };
    renderReport();
    if (job.result.published) {
      toast(t.publishedVersion(job.result.version.number, job.result.seconds));
      if (job.result.published_files.includes($("editing-name").value)) closeEditor();
      await Promise.all([loadFiles(), loadVersions()]);
      state.clusters = null;
      await waitForTheBot();
    }
  }

  $("check").addEventListener("click", () => checkOrPublish("check"));
  $("publish").addEventListener("click", () => checkOrPublish("publish"));

  function section(title, items, hint) {
    if (!items.length) return null;
    return el("div", {}, el("h3", { text: `${title} (${items.length})` }), hint ? el("p", { class: "muted", text: hint }) : null,
      el("ul", {}, items.map((text) => el("li", { text }))));
  }

  function renderReport() {
    const box = $("report");
    const report = state.report;
    if (!report) { box.hidden = true; return; }
    const r = report.result;
    const title = r.blocked ? t.blockedTitle : r.published ? t.publishTitle : report.kind === "check" ? t.checkTitle : t.notPublishedTitle;
    const diff = r.diff;
    const empty = !diff.added.length && !diff.changed.length && !diff.removed.length;
    const bot = r.published && state.bot && state.bot.live === r.version.number ? state.bot.bot : null;
    show(box,
      el("h2", { text: title }),
      r.published ? el("p", { class: "ok", "data-testid": "published", text: t.publishedVersion(r.version.number, r.seconds) }) : null,
      r.published && r.handled_questions ? el("p", { class: "muted", text: t.handled(r.handled_questions) }) : null,
      bot ? el("p", { class: bot === "ready" ? "ok" : "muted", "data-testid": "bot-state", text: t.bot[bot](r.version.number) }) : null,
      empty ? el("p", { class: "muted", text: r.problems.length ? t.nothingPublishable : t.nothingToPublish }) : null,
      el("div", { "data-testid": "diff" },
        section(t.added, diff.added), section(t.changed, diff.changed), section(t.removedArticles, diff.removed),
        diff.unchanged ? el("p", { class: "muted", text: t.unchanged(diff.unchanged) }) : null),
      r.regressions.length ? el("div", { class: r.blocked ? "blocked" : "" },
        section(t.regressions, r.regressions.map((x) => x.text), t.regressionsHint),
        r.blocked ? el("button", { class: "btn primary", type: "button", text: t.publishAnyway,
          onclick: () => checkOrPublish("publish", true) }) : null) : null,
      section(t.overlaps, (r.overlaps || []).map((x) => x.text)),
      section(t.duplicates, r.duplicates.map((x) => x.text)),
      section(t.misses, r.misses.map((x) => x.text)),
      section(t.sourceProblems, r.problems.map((x) => x.text)),
      section(t.kept, r.kept));
    box.hidden = false;
  }

  // ---------------------------------------------------------------- versions
  async function loadVersions() {
    try { state.versions = await api("GET", "/api/editor/versions"); } catch { return; }
    renderVersions();
  }

  // The answer thresholds a version sets from reviewed answers (the insights page applies them), if any.
  function thresholdsLine(thresholds) {
    const entries = Object.entries(thresholds || {});
    if (!entries.length) return null;
    const list = entries.map(([code, value]) => `${code === "*" ? t.allLanguages : code} ≥ ${value.toFixed(3)}`).join(", ");
    return el("li", { "data-testid": "version-thresholds", text: t.thresholdsSet(list) });
  }

  function renderVersions() {
    const data = state.versions;
    if (!data) return;
    renderLiveChip();
    const body = $("versions");
    body.replaceChildren();
    if (!data.versions.length) { body.append(el("tr", {}, el("td", { colspan: "5", class: "muted", text: t.noVersions }))); return; }
    for (const v of data.versions) {
      const changes = [[t.added, v.added], [t.changed, v.changed], [t.removedArticles, v.removed]].filter(([, ids]) => ids.length);
      const armed = state.armedRollback === v.number;
      body.append(el("tr", { dataset: { version: String(v.number) } },
        el("th", { scope: "row" }, `v${v.number} `, v.number === data.live ? el("span", { class: "chip ok", text: t.live }) : null),
        el("td", { text: v.author }),
        el("td", { text: when(v.created_at) }),
        el("td", {}, el("span", { class: "muted", text: `${t.kinds[v.kind] || v.kind}${v.note ? ` · ${v.note}` : ""}` }),
          el("ul", {}, changes.map(([label, ids]) => el("li", { text: `${label}: ${ids.join(", ")}` })),
            thresholdsLine(v.answer_thresholds))),
        el("td", {}, v.number === data.live ? null : el("button", {
          class: armed ? "btn small danger" : "btn small", type: "button", "data-rollback": String(v.number), disabled: jobRunning,
          text: armed ? t.confirmRollback(v.number) : t.rollback, onclick: () => rollBack(v.number),
        }))));
    }
  }

  // The live version in the top bar, and whether the bot answers from it yet (GET /api/editor/live).
  async function loadBotState() {
    try { state.bot = await api("GET", "/api/editor/live"); } catch { return; }
    renderLiveChip();
  }

  function renderLiveChip() {
    const live = state.versions ? state.versions.live : state.bot ? state.bot.live : null;
    const loading = state.bot && state.bot.live === live && state.bot.bot === "loading";
    $("live-version").textContent = live ? (loading ? t.liveLoading(live) : `${t.live}: v${live}`) : t.nothingLive;
  }

  // After a publish or rollback: "live" once the action servers answer from the new version.
  async function waitForTheBot(limitMs = 120000) {
    const until = Date.now() + limitMs;
    do {
      await loadBotState();
      renderReport();
      if (!state.bot || state.bot.bot !== "loading") return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    } while (Date.now() < until);
  }

  async function rollBack(number) {
    if (state.armedRollback !== number) { state.armedRollback = number; renderVersions(); return; }
    state.armedRollback = null;
    const job = await runJob("/api/editor/rollback", { version: number });
    if (job && job.result.version) toast(t.rolledBack(job.result.version.number, number));
    await loadVersions();
    if (job && job.result.version) await waitForTheBot();
  }

  // ---------------------------------------------------------------- preview
  $("preview-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = $("preview-question").value.trim();
    if (!question) return;
    const against = document.querySelector("input[name=against]:checked").value;
    const box = $("preview-result");
    box.replaceChildren(el("p", { class: "muted", text: t.asking }));
    try {
      state.preview = await api("POST", "/api/editor/preview", { question, against, lang: $("preview-lang").value || null });
      renderPreview();
    } catch (error) { box.replaceChildren(el("p", { class: "problem", text: error.message })); }
  });

  function renderPreview() {
    const p = state.preview;
    if (!p) return;
    const outcome = t.outcomes[p.outcome] || p.outcome;
    show($("preview-result"),
      el("dl", { "data-testid": "preview" },
        el("dt", { text: t.outcome }), el("dd", { "data-testid": "preview-outcome" }, el("strong", { text: outcome }),
          ` ${t.knowledgeBase[p.knowledge_base] || ""}`),
        el("dt", { text: t.article }), el("dd", { "data-testid": "preview-article", text: p.article ? `${p.title || ""} (${p.article})` : t.none }),
        el("dt", { text: t.confidence }), el("dd", { text: percent(p.confidence) }),
        p.reason ? el("dt", { text: t.reason }) : null, p.reason ? el("dd", { text: p.reason }) : null,
        el("dt", { text: t.runnersUp }), el("dd", {}, p.runners_up.length
          ? el("ol", {}, p.runners_up.map((s) => el("li", { text: `${s.title || s.article} (${s.article}) · ${percent(s.score)}` })))
          : t.none)),
      el("h3", { text: t.reply }), el("blockquote", { text: p.text }),
      p.problems.length ? el("div", {}, el("h3", { text: t.sourceProblems }), problemList(p.problems)) : null);
  }

  // ---------------------------------------------------------------- unanswered questions
  async function loadClusters() {
    const list = $("clusters");
    list.replaceChildren(el("li", { class: "muted", text: "…" }));
    try {
      const [clusters, articles] = await Promise.all([api("GET", "/api/editor/unanswered"), api("GET", "/api/editor/articles")]);
      state.clusters = clusters;
      state.articles = articles;
    } catch (error) { list.replaceChildren(el("li", { class: "problem", text: error.message })); return; }
    renderClusters();
  }

  $("reload-unanswered").addEventListener("click", loadClusters);

  function renderClusters() {
    const list = $("clusters");
    if (state.clusters === null) return;
    list.replaceChildren();
    if (!state.clusters.length) { list.append(el("li", { class: "muted", text: t.noClusters })); return; }
    for (const cluster of state.clusters) {
      // The article its questions come closest to first (and chosen), then the others by title.
      const choices = state.articles.filter((a) => a.lang === cluster.lang)
        .sort((a, b) => (b.id === cluster.closest_article) - (a.id === cluster.closest_article) || a.title.localeCompare(b.title));
      const selectId = `variants-${cluster.key}`;
      const select = el("select", { id: selectId, "data-testid": "variants-article" },
        choices.map((a) => el("option", { value: a.id, title: a.id, text: a.title })));
      const outcomes = Object.entries(cluster.outcomes).map(([k, n]) => `${n} ${t.clusterOutcomes[k] || k}`).join(" · ");
      list.append(el("li", { dataset: { key: cluster.key }, "data-testid": "cluster" },
        el("div", { class: "head" },
          el("span", { class: "title", text: cluster.title }),
          el("span", { class: "chip", text: t.asked(cluster.count) }),
          el("span", { class: "chip", text: t.langs[cluster.lang] || cluster.lang, title: t.language }),
          el("span", { class: "muted", text: `${t.lastAsked} ${when(new Date(cluster.newest_ms).toISOString())}` })),
        el("div", { class: "muted", text: outcomes }),
        el("ul", { class: "examples" }, cluster.examples.map((q) => el("li", { text: q }))),
        cluster.suggested_answers.length ? el("p", {}, el("strong", { text: `${t.suggestedAnswer}: ` }), cluster.suggested_answers[0]) : null,
        Object.keys(cluster.unhelpful_articles).length
          ? el("p", { class: "muted", text: `${t.unhelpfulFrom}: ${Object.keys(cluster.unhelpful_articles).join(", ")}` }) : null,
        el("div", { class: "variants" },
          el("button", { class: "btn small primary", type: "button", text: t.draftArticle, onclick: () => draftCluster(cluster.key) }),
          choices.length ? el("label", { for: selectId, text: t.addVariants }) : null,
          choices.length ? select : null,
          choices.length ? el("button", { class: "btn small", type: "button", text: t.addVariantsButton,
            onclick: () => addVariants(cluster.key, select.value) }) : null)));
    }
  }

  async function afterDraft(path, body) {
    try {
      const made = await api("POST", path, body);
      toast(t.drafted(made.file.name));
      state.clusters = null;
      await loadFiles();
      selectTab("draft");
      await openEditor(made.file.name);
    } catch (error) { toast(error.message); }
  }

  const draftCluster = (key) => afterDraft(`/api/editor/unanswered/${key}/draft`, {});
  const addVariants = (key, article) => afterDraft(`/api/editor/unanswered/${key}/variants`, { article });

  // ---------------------------------------------------------------- start
  function renderAll() {
    if (state.me) { renderFiles(); renderReport(); renderVersions(); renderClusters(); renderPreview(); }
  }

  applyStrings();
  api("GET", "/api/editor/me").then(showApp).catch((error) => {
    LumenCommon.showLogin();
    if (error.status === 403) $("login-error").textContent = t.notEditor;
  });
})();
