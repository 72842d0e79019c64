/* Answer review (/review, reviewer role): one sampled bot answer at a time (the question, the
 * answer, its article and confidence), marked correct / wrong article / should have handed over /
 * should have declined with a button or the keys 1-4. The marks make the dashboard's conformity.
 *
 * Plain JavaScript, no build step; common.js (window.LumenCommon) and staff-page.js (window.StaffPage)
 * for the log-in, strings and API calls. Questions and answers are inserted with textContent.
 */
(() => {
  "use strict";

  const { $, el, show } = LumenCommon;

  const LANG_KEY = "lumen-review:lang";
  const SAMPLE_SIZE = 10;
  const VERDICTS = ["correct", "wrong_article", "should_have_handed_over", "should_have_declined"];

  const STRINGS = LumenCommon.strings({
    // The log-in view's and the top bar's, then the page's.
    loginTitle: ["Answer review", "Relecture des réponses"], product: ["Answer review", "Relecture des réponses"],
    loginIntro: ["Log in to check the answers the assistant gave customers.", "Connectez-vous pour vérifier les réponses que l'assistant a "
      + "données aux clients."], dashboardLink: ["Dashboard", "Tableau de bord"], langFilter: ["Language", "Langue"], all: ["All", "Toutes"],
    notReviewer: ["This account is not a reviewer: ask an administrator for the reviewer role.", "Ce compte n'est pas relecteur : demandez "
      + "le rôle relecteur à un administrateur."], next: ["Next answer", "Réponse suivante"],
    correct: ["Correct", "Correcte"], wrongArticle: ["Wrong article", "Mauvais article"], shouldDecline: ["Should have declined", "Aurait dû décliner"],
    shouldHandOver: ["Should have handed over", "Aurait dû passer à un conseiller"], hint: ["Keys 1 to 4 mark the answer; N skips to the next "
      + "one.", "Les touches 1 à 4 notent la réponse ; N passe à la suivante."],
    counter: [(index, total, marked) => `Answer ${index} of ${total} · ${marked} marked`, (index, total, marked) => `Réponse ${index} sur ${total} · ${marked} notées`],
    question: ["Customer question", "Question du client"], answer: ["Bot's answer", "Réponse du bot"], article: "Article",
    confidence: ["Confidence", "Confiance"], when: ["When", "Quand"], language: ["Language", "Langue"],
    marked: { correct: ["Marked correct.", "Notée correcte."], wrong_article: ["Marked: wrong article.", "Notée : mauvais article."],
      should_have_handed_over: ["Marked: should have handed over.", "Notée : aurait dû passer à un conseiller."],
      should_have_declined: ["Marked: should have declined.", "Notée : aurait dû décliner."] },
    taken: ["Someone reviewed this answer already: next one.", "Quelqu'un a déjà relu cette réponse : suivante."],
    nothing: ["Nothing left to review for now.", "Plus rien à relire pour l'instant."], loading: ["Loading…", "Chargement…"],
  });

  const state = { me: null, sample: null, index: 0, marked: 0, busy: false };
  const current = () => (state.sample && state.sample[state.index]) || null;

  async function loadSample() {
    state.sample = null;
    render();
    const params = new URLSearchParams({ n: String(SAMPLE_SIZE) });
    if ($("review-lang").value) params.set("lang", $("review-lang").value);
    try {
      state.sample = await api("GET", `/api/insights/review/sample?${params}`);
    } catch (error) {
      state.sample = [];
      toast(error.message, true);
    }
    state.index = 0;
    render();
  }

  function render() {
    const item = current();
    $("verdicts").hidden = !item;
    if (state.sample === null) { show($("item"), el("p", { class: "muted", text: t.loading })); $("counter").textContent = ""; return; }
    if (!item) { show($("item"), el("p", { class: "muted", "data-testid": "nothing-to-review", text: t.nothing })); $("counter").textContent = ""; return; }
    $("counter").textContent = t.counter(state.index + 1, state.sample.length, state.marked);
    const when = new Date(item.at).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB");
    show($("item"),
      el("div", { "data-testid": "review-item", dataset: { eventId: String(item.event_id) } },
        el("h2", { text: t.question }), el("blockquote", { "data-testid": "review-question", text: item.question || "" }),
        el("h2", { text: t.answer }), el("blockquote", { "data-testid": "review-answer", text: item.answer || "" }),
        el("dl", {},
          el("dt", { text: t.article }), el("dd", {}, item.article
            ? el("a", { href: `/help/${item.article}`, target: "_blank", rel: "noopener", text: item.article }) : "–"),
          el("dt", { text: t.confidence }), el("dd", { text: item.confidence === null || item.confidence === undefined ? "–" : item.confidence.toFixed(3) }),
          el("dt", { text: t.language }), el("dd", { text: t.langs[item.lang] || item.lang || "–" }),
          el("dt", { text: t.when }), el("dd", { text: when }))));
  }

  async function next() {
    state.index += 1;
    if (state.index >= (state.sample || []).length) await loadSample();
    else render();
  }

  async function mark(verdict) {
    const item = current();
    if (!item || state.busy) return;
    state.busy = true;
    try {
      await api("POST", `/api/insights/review/${encodeURIComponent(item.event_id)}`, { verdict });
      state.marked += 1;
      toast(t.marked[verdict]);
    } catch (error) {
      if (error.status === 409 || error.status === 404) toast(t.taken);
      else { toast(error.message, true); state.busy = false; return; }
    }
    state.busy = false;
    await next();
  }

  for (const button of document.querySelectorAll("[data-verdict]")) {
    button.addEventListener("click", () => mark(button.dataset.verdict));
  }
  $("next").addEventListener("click", next);
  $("review-lang").addEventListener("change", loadSample);
  document.addEventListener("keydown", (event) => {
    if (!state.me || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.target instanceof HTMLTextAreaElement) return;
    const number = Number(event.key);
    if (number >= 1 && number <= VERDICTS.length) { event.preventDefault(); mark(VERDICTS[number - 1]); }
    else if (event.key === "n" || event.key === "N") { event.preventDefault(); next(); }
  });

  // ---------------------------------------------------------------- start: once a reviewer is signed in
  let lang = "en";
  let t = STRINGS.en;
  const page = StaffPage.start({
    role: "reviewer", langKey: LANG_KEY, strings: STRINGS, refused: "notReviewer",
    ready: (me) => { following(); state.me = me; return loadSample(); },
    rendered: () => { following(); render(); },
  });
  const { api, toast } = page;
  function following() {
    lang = page.lang();
    t = page.t();
  }
  following();
})();
