/* Steering dashboard (/insights, supervisor role): the figures of a period as cards and charts,
 * the conformity of reviewed answers with its 95 % interval (and an alert under the target), the
 * worst articles, the content team's top unanswered questions, the answer threshold the reviews
 * suggest (applied as a new knowledge-base version by an account with the editor role too), and a CSV
 * export of the period.
 *
 * Plain JavaScript, no build step: common.js (window.LumenCommon) and staff-page.js (window.StaffPage)
 * for the log-in, strings and API calls; insights-charts.js (window.InsightsCharts) for the Chart.js configurations. Everything
 * from the server (article ids, questions) is inserted with textContent.
 */
(() => {
  "use strict";

  const { $, el, show } = LumenCommon;

  const LANG_KEY = "lumen-insights:lang";
  const DAY_MS = 86400000;

  // ---------------------------------------------------------------- strings: [English, French]
  const STRINGS = LumenCommon.strings({
    // The log-in view's and the top bar's, then the filters', the cards', the charts' and the lists'.
    loginTitle: ["Steering dashboard", "Tableau de pilotage"], product: ["Steering dashboard", "Tableau de pilotage"],
    loginIntro: ["Log in to see how the assistant and the advisors are doing.", "Connectez-vous pour suivre l'assistant et les conseillers."],
    notSupervisor: ["This account is not a supervisor: ask an administrator for the supervisor role.", "Ce compte n'est pas superviseur : "
      + "demandez le rôle superviseur à un administrateur."], reviewLink: ["Review answers", "Relire les réponses"],
    from: ["From", "Du"], to: ["To", "Au"], last7: ["Last 7 days", "7 derniers jours"], last30: ["Last 30 days", "30 derniers jours"],
    langFilter: ["Language", "Langue"], channelFilter: ["Channel", "Canal"], all: ["All", "Tous"], widget: ["Chat widget", "Widget de chat"],
    show: ["Show", "Afficher"], exportCsv: ["Export CSV", "Exporter en CSV"],
    period: [(from, to, n) => `${from} to ${to}: ${n} conversations`, (from, to, n) => `Du ${from} au ${to} : ${n} conversations`],
    loading: ["Loading…", "Chargement…"],
    alert: [(low, target) => `Conformity alert: the reviewed answers' conformity may be as low as ${low} (95 % interval), under the ${target} target.`,
      (low, target) => `Alerte conformité : la conformité des réponses relues peut descendre à ${low} (intervalle à 95 %), sous l'objectif de ${target}.`],
    pending: [(n) => `${n} events are waiting to be written to the analytics store: the figures will include them once it answers.`,
      (n) => `${n} événements attendent d'être écrits dans la base d'analyse : les chiffres les compteront dès qu'elle répondra.`],
    lost: [(n) => `${n} events could not be kept while the store was down: the figures miss them.`,
      (n) => `${n} événements n'ont pas pu être gardés pendant l'indisponibilité de la base : les chiffres ne les comptent pas.`],
    cards: {
      conversations: ["Conversations", "Conversations"], selfCare: ["Self-care rate", "Taux de selfcare"],
      answerRate: ["Answer rate", "Taux de réponse"], declineRate: ["Decline rate", "Taux de refus"],
      conformity: ["Conformity", "Conformité"], csat: ["CSAT", "Satisfaction (CSAT)"], helpful: ["Answers found helpful", "Réponses jugées utiles"],
      queueWait: ["Queue wait", "Attente en file"], handovers: ["Hand-overs", "Transferts à un conseiller"],
      abandoned: ["Gave up waiting", "Abandons en attente"], firstResponse: ["Advisor first response", "Première réponse du conseiller"],
      handling: ["Handling time", "Durée de traitement"], tickets: ["Tickets", "Tickets"],
    },
    withMessages: [(n) => `${n} with a customer message`, (n) => `${n} avec un message du client`],
    interval: [(low, high, n) => `95 %: ${low} – ${high} · ${n} reviewed`, (low, high, n) => `95 % : ${low} – ${high} · ${n} relues`],
    noReviews: ["no answer reviewed yet", "aucune réponse relue"],
    csatLine: [(n, satisfied) => `${n} ratings · ${satisfied} gave 4 or 5`, (n, satisfied) => `${n} notes · ${satisfied} ont donné 4 ou 5`],
    helpfulLine: [(yes, no) => `${yes} yes · ${no} no`, (yes, no) => `${yes} oui · ${no} non`],
    waitLine: [(p90) => `median · p90 ${p90}`, (p90) => `médiane · p90 ${p90}`],
    median: ["median", "médiane"],
    ticketsLine: [(closed) => `opened · ${closed} closed`, (closed) => `ouverts · ${closed} fermés`],
    selfCare: ["Self-care rate", "Taux de selfcare"], answerRate: ["Answer rate", "Taux de réponse"], conversations: "Conversations",
    handoversCount: ["Hand-overs", "Transferts"], interval95: ["95 % interval", "Intervalle à 95 %"], estimate: ["Estimate", "Estimation"],
    target: ["Target", "Objectif"], overall: ["All answers", "Toutes les réponses"],
    conformityNote: [(target) => `Target ${target}: an alert shows when the interval's lower bound is under it.`,
      (target) => `Objectif ${target} : une alerte s'affiche quand la borne basse de l'intervalle passe en dessous.`],
    reasons: {
      customer_request: ["Asked for a person", "Demande de conseiller"], complaint: ["Complaint", "Réclamation"],
      sensitive: ["Sensitive topic", "Sujet sensible"], not_helpful: ["Answer not helpful", "Réponse inutile"],
      low_confidence: ["Unsure, accepted an advisor", "Incertain, conseiller accepté"],
      repeated_failure: ["Unsure twice", "Incertain deux fois"], unknown: ["Unknown", "Inconnu"],
    },
    noEscalations: ["No hand-over in this period.", "Aucun transfert sur la période."],
    article: "Article", answers: ["Answers", "Réponses"], unhelpful: ["Not helpful", "Inutiles"], handoversAfter: ["Hand-overs after", "Transferts après"],
    noArticles: ["No answer in this period.", "Aucune réponse sur la période."],
    dailyTitle: ["By day", "Par jour"], escalationsTitle: ["Hand-overs by reason", "Transferts par motif"],
    conformityTitle: ["Answer conformity (95 % interval)", "Conformité des réponses (intervalle à 95 %)"],
    articlesTitle: ["Worst articles", "Articles les moins bons"],
    unansweredTitle: ["Top unanswered questions", "Questions sans réponse les plus fréquentes"],
    unansweredIntro: ["The content team's list (editor, \"Unanswered questions\"): declined and handed-over questions grouped by meaning.",
      "La liste de l'équipe contenu (éditeur, « Questions sans réponse ») : questions déclinées ou transmises, regroupées par sens."],
    asked: [(n) => `${n} ${n === 1 ? "time" : "times"}`, (n) => `${n} fois`],
    noUnanswered: ["Nothing waiting: every question was answered or handled.", "Rien en attente : chaque question a eu sa réponse ou a été traitée."],
    unansweredNeedsEditor: ["This list needs the editor role as well.", "Cette liste demande aussi le rôle éditeur."],
    proposalTitle: ["Answer threshold proposed from the reviews", "Seuil de réponse proposé d'après les relectures"],
    proposalRows: {
      threshold: ["Answer threshold", "Seuil de réponse"], conformity: ["Conformity of the answers", "Conformité des réponses"],
      answerRate: ["Answer rate", "Taux de réponse"],
    },
    now: ["Now", "Actuel"], proposed: ["Proposed", "Proposé"],
    proposalBasis: [(n, basis) => `From ${n} reviewed answers (${basis}).`, (n, basis) => `D'après ${n} réponses relues (${basis}).`],
    noProposal: ["Not enough reviewed answers for a proposal yet.", "Pas encore assez de réponses relues pour une proposition."],
    apply: ["Apply as a new knowledge-base version", "Appliquer comme nouvelle version de la base"],
    applyScope: [(live, scope) => `Applying it publishes the live articles (v${live}) again as a new version answering at this threshold in ${scope}; `
      + "the editor's \"Versions\" rolls it back.", (live, scope) => `L'appliquer republie les articles en ligne (v${live}) en une nouvelle version `
      + `qui répond à partir de ce seuil en ${scope} ; les « Versions » de l'éditeur permettent d'y revenir.`],
    everyLanguage: ["every language", "toutes les langues"],
    liveThresholds: [(live, list) => `v${live}, live, sets the answer threshold from reviewed answers: ${list}.`,
      (live, list) => `La v${live}, en ligne, fixe le seuil de réponse d'après les relectures : ${list}.`],
    applyNeedsEditor: ["Applying it needs the editor role.", "L'appliquer demande le rôle éditeur."],
    applying: ["Applying…", "Application…"],
    applied: [(v) => `Applied: v${v} is live, the bot answers with the new threshold within seconds.`,
      (v) => `Appliqué : la v${v} est en ligne, le bot répond avec le nouveau seuil d'ici quelques secondes.`],
    alreadyApplied: ["The live version already answers at this threshold.", "La version en ligne répond déjà à partir de ce seuil."],
  });

  // ---------------------------------------------------------------- formats
  const locale = () => (lang === "fr" ? "fr-FR" : "en-GB");
  const decimal = (value, digits) => value.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const percent = (value) => (value === null || value === undefined ? "–" : `${decimal(value * 100, 1)} %`);
  const number = (value) => (value === null || value === undefined ? "–" : value.toLocaleString(locale()));
  const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return `${Math.round(seconds)} s`;
    const minutes = Math.floor(seconds / 60);
    return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

  // ---------------------------------------------------------------- state
  const state = { me: null, summary: null, clusters: null, clustersRefused: false, clustersError: null, proposal: null };
  const JOB_POLL_MS = 500;
  const isEditor = () => Boolean(state.me && (state.me.roles || []).includes("editor"));

  function query() {
    const params = new URLSearchParams({ from: $("from").value, to: $("to").value });
    if ($("lang-filter").value) params.set("lang", $("lang-filter").value);
    if ($("channel-filter").value) params.set("channel", $("channel-filter").value);
    return params.toString();
  }

  function setPeriod(days) {
    const today = Date.now();
    $("to").value = isoDay(today);
    $("from").value = isoDay(today - (days - 1) * DAY_MS);
  }

  // ---------------------------------------------------------------- loading
  async function loadSummary() {
    $("period").textContent = t.loading;
    $("export").href = `/api/insights/export.csv?${query()}`;
    try {
      state.summary = await api("GET", `/api/insights/summary?${query()}`);
    } catch (error) {
      $("period").textContent = error.message;
      return;
    }
    renderSummary();
  }

  async function loadClusters() {
    state.clusters = null;
    renderClusters();
    try {
      state.clusters = await api("GET", "/api/editor/unanswered");
    } catch (error) {
      state.clustersRefused = error.status === 403;
      state.clustersError = error.status === 403 ? null : error.message;
      state.clusters = [];
    }
    renderClusters();
  }

  async function loadProposal() {
    try {
      state.proposal = await api("GET", `/api/insights/proposal?${query()}`);
    } catch {
      state.proposal = null;
    }
    renderProposal();
  }

  // ---------------------------------------------------------------- rendering
  function card(key, title, value, line) {
    return el("div", { class: "figure", "data-testid": `card-${key}` },
      el("h3", { text: title }), el("p", { class: "value", "data-testid": `value-${key}`, text: value }),
      line ? el("p", { class: "muted line", text: line }) : null);
  }

  function renderSummary() {
    const s = state.summary;
    if (!s) return;
    const c = t.cards;
    const conf = s.conformity || {};
    $("period").textContent = t.period(s.from, s.to, number(s.conversations));
    $("alert").hidden = !conf.alert;
    $("alert").textContent = conf.alert ? t.alert(percent(conf.low), percent(conf.target)) : "";
    const waiting = [s.pending_events > 0 ? t.pending(number(s.pending_events)) : null, s.lost_events > 0 ? t.lost(number(s.lost_events)) : null];
    $("pending").hidden = !waiting.some(Boolean);
    $("pending").textContent = waiting.filter(Boolean).join(" ");
    show($("cards"),
      card("conversations", c.conversations, number(s.conversations), t.withMessages(number(s.conversations_with_messages))),
      card("self-care", c.selfCare, percent(s.self_care_rate)),
      card("answer-rate", c.answerRate, percent(s.answer_rate)),
      card("decline-rate", c.declineRate, percent(s.decline_rate)),
      card("conformity", c.conformity, percent(conf.estimate),
        conf.reviewed ? t.interval(percent(conf.low), percent(conf.high), number(conf.reviewed)) : t.noReviews),
      card("csat", c.csat, s.csat && s.csat.mean !== null ? `${decimal(s.csat.mean, 2)} / 5` : "–",
        s.csat ? t.csatLine(number(s.csat.count), percent(s.csat.satisfied_rate)) : null),
      card("helpful", c.helpful, percent(s.helpful && s.helpful.rate), s.helpful ? t.helpfulLine(number(s.helpful.yes), number(s.helpful.no)) : null),
      card("queue-wait", c.queueWait, duration(s.queue_wait_s && s.queue_wait_s.median), t.waitLine(duration(s.queue_wait_s && s.queue_wait_s.p90))),
      card("handovers", c.handovers, number(s.handovers)),
      card("abandoned", c.abandoned, number(s.abandoned)),
      card("first-response", c.firstResponse, duration(s.first_response_s && s.first_response_s.median), t.median),
      card("handling", c.handling, duration(s.handling_s && s.handling_s.median), t.median),
      card("tickets", c.tickets, number(s.tickets && s.tickets.opened), t.ticketsLine(number(s.tickets && s.tickets.closed))));
    renderCharts();
    renderArticles();
  }

  function renderCharts() {
    const s = state.summary;
    const charts = window.InsightsCharts;
    charts.draw("daily", $("chart-daily"), charts.daily(s.by_day || [],
      { selfCare: t.selfCare, answerRate: t.answerRate, conversations: t.conversations }));
    const escalations = s.escalations || {};
    $("escalations-empty").hidden = Object.keys(escalations).length > 0;
    $("escalations-empty").textContent = t.noEscalations;
    charts.draw("escalations", $("chart-escalations"),
      charts.escalations(escalations, (reason) => t.reasons[reason] || reason, t.handoversCount));
    const conf = s.conformity || {};
    const rows = [{ name: t.overall, ...conf }];
    for (const [code, figures] of Object.entries(conf.by_lang || {})) rows.push({ name: capitalised(t.langs[code] || code), ...figures });
    charts.draw("conformity", $("chart-conformity"), charts.conformity(rows, conf.target,
      { interval: t.interval95, estimate: t.estimate, target: t.target }));
    $("conformity-note").textContent = t.conformityNote(percent(conf.target));
    charts.draw("articles", $("chart-articles"), charts.articles((s.articles || []).slice(0, 8), t.unhelpful));
  }

  function renderArticles() {
    const rows = (state.summary.articles || []).slice(0, 10);
    const body = $("articles");
    if (!rows.length) { show(body, el("tr", {}, el("td", { colspan: "4", class: "muted", text: t.noArticles }))); return; }
    show(body, ...rows.map((row) => el("tr", { "data-testid": "article-row" },
      el("th", { scope: "row" }, el("a", { href: `/help/${row.article}`, target: "_blank", rel: "noopener", text: row.article })),
      el("td", { text: number(row.answers) }), el("td", { text: percent(row.unhelpful_rate) }),
      el("td", { text: number(row.handovers_after) }))));
  }

  function renderClusters() {
    const list = $("unanswered");
    if (state.clusters === null) { show(list, el("li", { class: "muted", text: t.loading })); return; }
    if (state.clustersRefused || state.clustersError) {
      show(list, el("li", { class: "muted", text: state.clustersRefused ? t.unansweredNeedsEditor : state.clustersError }));
      return;
    }
    if (!state.clusters.length) { show(list, el("li", { class: "muted", text: t.noUnanswered })); return; }
    show(list, ...state.clusters.slice(0, 8).map((cluster) => el("li", { "data-testid": "unanswered-cluster" },
      el("span", { class: "title", text: cluster.title }), " ",
      el("span", { class: "chip", text: t.asked(cluster.count) }), " ",
      el("span", { class: "chip", text: capitalised(t.langs[cluster.lang] || cluster.lang) }))));
  }

  function renderProposal() {
    const box = $("proposal");
    const p = state.proposal;
    if (!p || p.proposed_threshold === null || p.proposed_threshold === undefined) { show(box, el("p", { class: "muted", text: t.noProposal })); return; }
    const row = (label, now, proposed) => el("tr", {}, el("th", { scope: "row", text: label }), el("td", { text: now }), el("td", { text: proposed }));
    const fixed = (value) => (value === null || value === undefined ? "–" : decimal(value, 3));
    show(box,
      el("table", { class: "table proposal", "data-testid": "proposal" },
        el("thead", {}, el("tr", {}, el("td"), el("th", { scope: "col", text: t.now }), el("th", { scope: "col", text: t.proposed }))),
        el("tbody", {},
          row(t.proposalRows.threshold, fixed(p.current_threshold), fixed(p.proposed_threshold)),
          row(t.proposalRows.conformity, percent(p.conformity_now), percent(p.conformity_proposed)),
          row(t.proposalRows.answerRate, percent(p.answer_rate_now), percent(p.answer_rate_proposed)))),
      el("p", { class: "muted", text: t.proposalBasis(number(p.reviewed), p.basis || "") }),
      ...applyControls(p));
  }

  // The thresholds the live version sets from reviewed answers, if any; then the apply button.
  function applyControls(p) {
    const set = Object.entries(p.live_answer_thresholds || {})
      .map(([code, value]) => `${code === "*" ? t.everyLanguage : t.langs[code] || code} ≥ ${decimal(value, 3)}`);
    const inForce = set.length ? el("p", { class: "muted", "data-testid": "live-thresholds", text: t.liveThresholds(p.live_version, set.join(", ")) }) : null;
    return [inForce, ...applyButton(p)];
  }

  // Only an editor applies a proposal (a content job, like a publish), and only one the server finds applicable.
  function applyButton(p) {
    if (p.apply_refused) return [el("p", { class: "muted", "data-testid": "apply-refused", text: p.apply_refused })];
    if (!isEditor()) return [el("p", { class: "muted", text: t.applyNeedsEditor })];
    const scope = $("lang-filter").value ? t.langs[$("lang-filter").value] || $("lang-filter").value : t.everyLanguage;
    return [el("p", { class: "muted", text: t.applyScope(p.live_version, scope) }),
      el("button", { id: "apply-proposal", class: "btn primary", type: "button", text: t.apply, onclick: applyProposal })];
  }

  async function applyProposal() {
    const button = $("apply-proposal");
    button.disabled = true;
    button.textContent = t.applying;
    try {
      let job = await api("POST", `/api/insights/proposal/apply?${query()}`, { version: state.proposal.live_version });
      while (job.state === "running") {
        await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
        job = await api("GET", `/api/editor/jobs/${job.id}`);
      }
      if (job.state === "failed") throw new Error(job.error);
      toast(job.result.version ? t.applied(job.result.version.number) : t.alreadyApplied);
      await loadProposal();
    } catch (error) {
      toast(error.message, true);
      button.disabled = false;
      button.textContent = t.apply;
    }
  }

  // ---------------------------------------------------------------- filters
  const reload = () => Promise.all([loadSummary(), loadProposal()]);
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); reload(); });
  for (const id of ["preset-7", "preset-30"]) {
    $(id).addEventListener("click", () => { setPeriod(Number($(id).dataset.days)); reload(); });
  }
  for (const id of ["lang-filter", "channel-filter"]) $(id).addEventListener("change", reload);

  // ---------------------------------------------------------------- start: once a supervisor is signed in
  let lang = "en";
  let t = STRINGS.en;
  const page = StaffPage.start({
    role: "supervisor", langKey: LANG_KEY, strings: STRINGS, refused: "notSupervisor",
    ready: (me) => { following(); state.me = me; return Promise.all([loadSummary(), loadClusters(), loadProposal()]); },
    rendered: () => { following(); renderSummary(); renderClusters(); renderProposal(); },
  });
  const { api, toast } = page;
  function following() {
    lang = page.lang();
    t = page.t();
  }
  following();
  setPeriod(7);
})();
