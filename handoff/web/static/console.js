/* Advisor console: log in, the live queue, claim, talk, transfer, hand back, close.
 *
 * Plain JavaScript, no build step; common.js (window.LumenCommon) holds what the console shares
 * with the help centre editor. Text from customers, agents and the bot is inserted with
 * textContent; the one markup insertion is the server's `html` field of bot messages (Markdown
 * rendered with raw HTML disabled).
 */
(() => {
  "use strict";

  const { $, el } = LumenCommon;
  LumenCommon.mount();

  const TYPING_EVERY_MS = 2500;
  const TYPING_SHOWN_MS = 6000;
  const LONG_WAIT_S = 300;
  const MINE_KEY = "lumen-console:mine";
  const LANG_KEY = "lumen-console:lang";
  const RESOLUTIONS = ["resolved", "not_resolved", "callback_promised", "duplicate", "abusive", "no_reply"];

  // ---------------------------------------------------------------- strings: [English, French]
  const STRINGS = LumenCommon.strings({
    loginTitle: ["Advisor console", "Console conseiller"],
    loginIntro: ["Log in to answer customers waiting for a person.", "Connectez-vous pour répondre aux clients qui attendent un conseiller."],
    console: ["Advisor console", "Console conseiller"], online: ["Online", "En ligne"], offline: ["Reconnecting…", "Reconnexion…"],
    queue: ["Queue", "File"], mine: ["My chats", "Mes discussions"], tickets: "Tickets",
    emptyQueue: ["No one is waiting", "Personne n'attend"],
    emptyQueueHint: ["New chats appear here as soon as a customer asks for a person.", "Les discussions apparaissent ici dès qu'un client demande un conseiller."],
    emptyMine: ["No open chats", "Aucune discussion en cours"],
    emptyMineHint: ["Chats you take from the queue stay here until you hand them back or close them.",
      "Les discussions que vous prenez restent ici jusqu'à ce que vous les rendiez au bot ou les clôturiez."],
    emptyTickets: ["No open tickets", "Aucun ticket ouvert"],
    emptyTicketsHint: ["Customers leave their contact details here when no advisor is online.",
      "Les clients laissent ici leurs coordonnées quand aucun conseiller n'est en ligne."],
    take: ["Take", "Prendre"], takeChat: ["Take this chat", "Prendre cette discussion"],
    alreadyTaken: ["Already taken by another advisor.", "Déjà prise par un autre conseiller."],
    customer: ["Customer", "Client"], assistant: "Assistant", you: ["You", "Vous"],
    waiting: [(s) => `waiting ${duration(s)}`, (s) => `attend depuis ${duration(s)}`], waited: (s) => duration(s),
    priority: [["Urgent", "Urgent"], ["High", "Haute"], ["Medium", "Moyenne"], ["Normal", "Normale"]],
    reasons: {
      sensitive: ["Sensitive topic", "Sujet sensible"], complaint: ["Complaint", "Réclamation"],
      not_helpful: ["Answer not helpful", "Réponse inutile"], repeated_failure: ["Bot stuck", "Bot bloqué"],
      customer_request: ["Asked for a person", "Demande un conseiller"], low_confidence: ["Bot unsure", "Bot incertain"],
    },
    owners: {
      bot: ["With the bot", "Avec le bot"], queued: ["Waiting", "En attente"], agent: ["With {name}", "Avec {name}"],
      closed: ["Closed", "Clôturée"],
    },
    withYou: ["With you", "Avec vous"],
    placeholderTitle: ["Pick a conversation", "Choisissez une discussion"],
    placeholderText: ["Take a chat from the queue, or open one of yours.", "Prenez une discussion dans la file, ou ouvrez l'une des vôtres."],
    transfer: ["Transfer", "Transférer"], transferTitle: ["Transfer to", "Transférer à"],
    backToQueue: ["Back to the queue", "Remettre dans la file"], noOneOnline: ["No other advisor online", "Aucun autre conseiller en ligne"],
    handBack: ["Hand back to the bot", "Rendre au bot"], close: ["Close", "Clôturer"], closeTitle: ["Resolution", "Résolution"],
    confirm: ["Confirm", "Valider"], cancel: ["Cancel", "Annuler"],
    resolutions: {
      resolved: ["Resolved", "Résolu"], not_resolved: ["Not resolved", "Non résolu"],
      callback_promised: ["Callback promised", "Rappel promis"], duplicate: ["Duplicate", "Doublon"],
      abusive: ["Abusive", "Abusif"], no_reply: ["No reply from the customer", "Pas de réponse du client"],
    },
    suggestArticle: ["Suggest as article", "Proposer comme article"],
    suggestArticleHint: ["Send this reply, with the customer's question, to the content team as a suggested help-centre article",
      "Envoyer cette réponse, avec la question du client, à l'équipe contenu comme article du centre d'aide"],
    suggestedArticle: ["Sent to the content team.", "Envoyé à l'équipe contenu."],
    nothingToSuggest: ["Write or send a reply first.", "Écrivez ou envoyez d'abord une réponse."],
    reply: ["Reply to the customer", "Répondre au client"], send: ["Send", "Envoyer"],
    sendHint: ["Enter to send · Shift+Enter for a new line", "Entrée pour envoyer · Maj+Entrée pour un saut de ligne"],
    readOnly: ["Read only: take the chat to reply.", "Lecture seule : prenez la discussion pour répondre."],
    notYours: [(name) => `${name} is handling this chat.`, (name) => `${name} s'occupe de cette discussion.`],
    released: ["This chat is no longer yours.", "Cette discussion ne vous est plus attribuée."],
    typing: ["The customer is typing…", "Le client est en train d'écrire…"],
    events: {
      queued: ["Customer queued for an advisor", "Client en attente d'un conseiller"],
      agent_joined: ["{name} joined", "{name} a rejoint"], transferred: ["Transferred to {name}", "Transférée à {name}"],
      requeued: ["Put back in the queue", "Remise dans la file"], handed_back: ["Handed back to the bot", "Rendue au bot"],
      closed: ["Closed · {resolution}", "Clôturée · {resolution}"],
      no_agent: ["No advisor took the chat in time", "Aucun conseiller n'a pris la discussion à temps"],
    },
    feedbackNo: ["The customer found this answer not helpful", "Le client a trouvé cette réponse inutile"],
    feedbackYes: ["The customer found this answer helpful", "Le client a trouvé cette réponse utile"],
    handoff: ["Handoff", "Transfert"], reason: ["Reason", "Motif"], lang: ["Language", "Langue"], waitingFor: ["Waiting", "Attente"],
    customerAsked: ["Customer asked", "Question du client"],
    botFound: ["What the bot found", "Ce que le bot a trouvé"], article: "Article", confidence: ["Confidence", "Confiance"],
    confidenceLine: [(pct) => `Confidence: ${pct} %`, (pct) => `Confiance : ${pct} %`], sources: "Sources",
    nothingFound: ["The bot found no article.", "Le bot n'a trouvé aucun article."],
    suggestions: ["Suggested answers", "Réponses suggérées"],
    noSuggestions: ["No suggestion: no question with a clear topic yet.", "Aucune suggestion : pas encore de question au sujet clair."],
    insert: ["Insert", "Insérer"], insertPassage: ["Insert passage", "Insérer l’extrait"], open: ["Open", "Ouvrir"],
    answersQuestion: [(q) => `For: “${q}”`, (q) => `Pour : « ${q} »`],
    summary: ["Summary", "Résumé"], urgent: ["Urgent", "Urgent"],
    summaryBy: { extract: ["From the customer's messages", "Tiré des messages du client"], llm: ["Written by the assistant", "Rédigé par l'assistant"] },
    ticket: "Ticket", contact: "Contact", filed: ["Filed", "Déposé"], markDone: ["Mark as done", "Marquer comme traité"],
    ticketDone: ["Ticket closed.", "Ticket traité."],
    claimed: ["Chat taken.", "Discussion prise."], handedBack: ["Handed back to the bot.", "Rendue au bot."],
    closedDone: ["Chat closed.", "Discussion clôturée."],
    transferred: [(name) => `Transferred to ${name}.`, (name) => `Transférée à ${name}.`],
    requeued: ["Put back in the queue.", "Remise dans la file."],
    transferredToYou: [(name) => `${name} transferred a chat to you.`, (name) => `${name} vous a transféré une discussion.`],
    botNotUpdated: ["The bot did not get the conversation so far.", "Le bot n'a pas reçu la conversation jusqu'ici."],
    notSent: ["Not sent: the chat is no longer yours.", "Non envoyé : la discussion ne vous est plus attribuée."],
    conversationOf: [(id) => `Customer · ${id}`, (id) => `Client · ${id}`],
    payloads: {
      "/request_human": ["Talk to a person", "Parler à un conseiller"], "/affirm": ["Yes", "Oui"], "/deny": ["No", "Non"],
    },
    pressed: ["button pressed", "bouton"],
  });

  let lang = LumenCommon.pickLanguage(LANG_KEY);
  let t = STRINGS[lang];

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
    return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")}`;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  }

  // ---------------------------------------------------------------- DOM helpers ($ and el are common.js's)

  function initials(name) {
    return String(name || "?").trim().split(/\s+/).slice(0, 2).map((p) => p[0] || "").join("").toUpperCase() || "?";
  }

  function shortId(id) {
    return `#${String(id).slice(0, 6)}`;
  }

  function timeOf(ms) {
    return new Date(Number(ms) || Date.now()).toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  function compareIds(a, b) {
    const [am, as] = String(a).split("-").map(Number);
    const [bm, bs] = String(b).split("-").map(Number);
    return am - bm || (as || 0) - (bs || 0);
  }

  function helpUrl(article) {
    return `/help/${String(article).split("/").map(encodeURIComponent).join("/")}`;
  }

  // A button the customer pressed in the widget arrives as its payload ("/request_human").
  function customerWords(text) {
    const label = t.payloads[String(text).trim()];
    return label ? `${label} (${t.pressed})` : text;
  }

  // Suggestions are help-centre Markdown; the customer sees an agent's message as plain text.
  function plainText(markdown) {
    return String(markdown)
      .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, "$1 ($2)")
      .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
      .replace(/(\*\*|__)(.+?)\1/g, "$2")
      .replace(/(^|[^*])\*([^*\n]+)\*/g, "$1$2")
      .replace(/`([^`]+)`/g, "$1")
      .replace(/^#{1,6}\s+/gm, "")
      .replace(/^\s*[-*+]\s+/gm, "• ");
  }

  function reasonLabel(reason) {
    return t.reasons[reason] || reason || "—";
  }

  function priorityChip(priority) {
    const p = Math.max(0, Math.min(3, Number.isFinite(priority) ? priority : 3));
    return el("span", { class: `chip p${p}`, title: `Priority ${p}`, text: t.priority[p] });
  }

  const toast = LumenCommon.toaster(3500);

  const api = LumenCommon.apiClient({
    loggedOut: () => showLogin(),
    loggedOutMessage: "logged out",
    explain: (data, status) => (data && data.detail) || `HTTP ${status}`,
  });

  // ---------------------------------------------------------------- state
  let me = null;
  let tab = "queue";
  let queue = [];
  let queueFetchedAt = 0;
  let tickets = [];
  let mine = new Map(); // conversation id -> last package (status, transcript)
  let agentFeed = null;
  let refreshTimer = null;
  let current = null; // {kind: "chat"|"ticket", id, package?, ticket?, source?, lastId, shown: Map, suggestions, status}
  let lastTypingSent = 0;
  let typingTimer = null;
  const drafts = new Map(); // conversation id -> the reply being written, kept across re-renders

  function saveMine() {
    sessionStorage.setItem(MINE_KEY, JSON.stringify([...mine.keys()]));
  }

  // ---------------------------------------------------------------- language
  function applyStaticStrings() {
    LumenCommon.applyStrings(lang, t);
    document.querySelector(".sidebar").setAttribute("aria-label", lang === "fr" ? "Boîte de réception" : "Inbox");
  }

  LumenCommon.onLanguageChange(LANG_KEY, (code) => {
    lang = code;
    t = STRINGS[lang];
    applyStaticStrings();
    if (me) {
      renderList();
      if (current && current.kind === "chat") renderConversation();
      else if (current && current.kind === "ticket") renderTicket();
      else renderPlaceholder();
    }
  });

  // ---------------------------------------------------------------- log in / out
  function showLogin() {
    me = null;
    if (agentFeed) agentFeed.close();
    agentFeed = null;
    closeConversation();
    LumenCommon.showLogin();
  }

  async function start(agent) {
    me = agent;
    LumenCommon.showApp();
    $("me").replaceChildren(el("span", { class: "avatar agent", text: initials(me.display_name), "aria-hidden": "true" }),
      el("span", { text: me.display_name }));
    try {
      for (const id of JSON.parse(sessionStorage.getItem(MINE_KEY) || "[]")) mine.set(id, null);
    } catch (_) { /* nothing remembered */ }
    connectAgentFeed();
    renderPlaceholder();
    await Promise.all([loadQueue(), loadTickets(), loadMine()]);
  }

  LumenCommon.onLogin(async (username, password) => {
    if (!username || !password) return t.badLogin;
    try {
      const session = await api("POST", "/api/agent/login", { username, password });
      LumenCommon.clearPassword();
      await start(session.agent);
    } catch (failure) {
      return failure.status === 401 ? t.badLogin : t.loginFailed;
    }
  });

  LumenCommon.onLogout(api, "/api/agent/logout", () => {
    mine = new Map();
    sessionStorage.removeItem(MINE_KEY);
    showLogin();
  });

  // ---------------------------------------------------------------- live queue
  function connectAgentFeed() {
    if (agentFeed) agentFeed.close();
    agentFeed = new EventSource("/api/agent/events");
    const presence = $("presence");
    agentFeed.addEventListener("open", () => {
      presence.classList.remove("offline");
      presence.lastElementChild.textContent = t.online;
    });
    agentFeed.addEventListener("error", async () => {
      presence.classList.add("offline");
      presence.lastElementChild.textContent = t.offline;
      if (agentFeed && agentFeed.readyState === EventSource.CLOSED) {
        // Refused (logged out, or the server restarting): find out which, then reconnect.
        try {
          await api("GET", "/api/agent/me");
          setTimeout(() => { if (me) connectAgentFeed(); }, 2000);
        } catch (_) { /* showLogin already ran on a 401 */ }
      }
    });
    const onChange = (event) => {
      if (!me) return;
      let data = {};
      try { data = JSON.parse(event.data); } catch (_) { /* ready event */ }
      if (event.type === "ticket_filed") loadTickets();
      if (event.type === "transferred" && data.agent === me.username && data.from_agent !== me.username) {
        mine.set(data.conversation, null);
        saveMine();
        loadMine();
        toast(t.transferredToYou(data.from_agent || ""));
      }
      if (current && current.kind === "chat" && data.conversation === current.id) refreshCurrentStatus();
      scheduleQueueRefresh();
    };
    for (const type of ["ready", "queued", "agent_joined", "transferred", "requeued", "handed_back", "closed", "no_agent", "ticket_filed", "change"]) {
      agentFeed.addEventListener(type, onChange);
    }
  }

  function scheduleQueueRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadQueue, 120);
  }

  async function loadQueue() {
    if (!me) return;
    try {
      queue = await api("GET", "/api/agent/queue");
      queueFetchedAt = Date.now();
    } catch (_) { return; }
    $("count-queue").textContent = String(queue.length);
    document.title = `${queue.length ? `(${queue.length}) ` : ""}${t.console} — Lumen Mobile`;
    if (tab === "queue") renderList();
  }

  async function loadTickets() {
    if (!me) return;
    try { tickets = await api("GET", "/api/agent/tickets"); } catch (_) { return; }
    $("count-tickets").textContent = String(tickets.length);
    if (tab === "tickets") renderList();
    if (current && current.kind === "ticket" && !tickets.some((x) => x.ticket_id === current.id)) renderPlaceholder();
  }

  async function loadMine() {
    if (!me) return;
    await Promise.all([...mine.keys()].map(async (id) => {
      try {
        const pkg = await api("GET", `/api/agent/conversations/${encodeURIComponent(id)}`);
        if (pkg.status.owner === "agent" && pkg.status.agent === me.username) mine.set(id, pkg);
        else mine.delete(id);
      } catch (failure) {
        if (failure.status === 404) mine.delete(id);
      }
    }));
    saveMine();
    $("count-mine").textContent = String(mine.size);
    if (tab === "mine") renderList();
  }

  function waitedNow(entry) {
    return entry.waiting_s + (Date.now() - queueFetchedAt) / 1000;
  }

  function tick() {
    for (const node of document.querySelectorAll(".item[data-waiting]")) {
      const entry = queue.find((e) => e.conversation_id === node.dataset.id);
      if (!entry) continue;
      const seconds = waitedNow(entry);
      const label = node.querySelector(".waited");
      label.textContent = t.waited(seconds);
      label.classList.toggle("long", seconds >= LONG_WAIT_S);
    }
    const waiting = document.querySelector("[data-waiting-since]");
    if (waiting) waiting.textContent = duration((Date.now() - Number(waiting.dataset.waitingSince)) / 1000);
  }
  setInterval(tick, 1000);

  // ---------------------------------------------------------------- inbox lists
  for (const button of document.querySelectorAll(".tabs [role=tab]")) {
    button.addEventListener("click", () => selectTab(button.dataset.tab));
    button.addEventListener("keydown", (event) => {
      const tabs = [...document.querySelectorAll(".tabs [role=tab]")];
      const index = tabs.indexOf(button);
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        next.focus();
        selectTab(next.dataset.tab);
      }
    });
  }

  function selectTab(name) {
    tab = name;
    for (const button of document.querySelectorAll(".tabs [role=tab]")) {
      const selected = button.dataset.tab === name;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    if (name === "queue") loadQueue();
    if (name === "tickets") loadTickets();
    if (name === "mine") loadMine();
    renderList();
  }

  function emptyState(title, hint) {
    return el("div", { class: "empty" }, el("b", { text: title }), el("span", { text: hint }));
  }

  function renderList() {
    const list = $("list");
    $("count-queue").textContent = String(queue.length);
    $("count-mine").textContent = String(mine.size);
    $("count-tickets").textContent = String(tickets.length);
    list.setAttribute("aria-labelledby", `tab-${tab}`);
    if (tab === "queue") {
      list.replaceChildren(...(queue.length ? queue.map(queueItem) : [emptyState(t.emptyQueue, t.emptyQueueHint)]));
    } else if (tab === "mine") {
      const items = [...mine.entries()].filter(([, pkg]) => pkg).map(([id, pkg]) => mineItem(id, pkg));
      list.replaceChildren(...(items.length ? items : [emptyState(t.emptyMine, t.emptyMineHint)]));
    } else {
      list.replaceChildren(...(tickets.length ? tickets.map(ticketItem) : [emptyState(t.emptyTickets, t.emptyTicketsHint)]));
    }
  }

  function queueItem(entry) {
    const seconds = waitedNow(entry);
    const take = el("button", { class: "btn primary small take", type: "button", text: t.take, "aria-label": `${t.take} ${shortId(entry.conversation_id)}` });
    take.addEventListener("click", (event) => { event.stopPropagation(); claim(entry.conversation_id); });
    // Not a button itself: it holds two (look at the chat, take it), each reachable with the keyboard.
    const item = el("div", {
      class: `item${current && current.id === entry.conversation_id ? " active" : ""}`,
      "data-id": entry.conversation_id, "data-waiting": "", "data-testid": "queue-item",
      onclick: () => openConversation(entry.conversation_id),
    },
    el("span", { class: "avatar customer", text: entry.lang.toUpperCase(), "aria-hidden": "true" }),
    el("div", { class: "body" },
      el("div", { class: "line1" }, el("button", { class: "title", type: "button", text: reasonLabel(entry.reason) }),
        el("span", { class: `waited${seconds >= LONG_WAIT_S ? " long" : ""}`, text: t.waited(seconds), title: t.waiting(seconds) })),
      el("div", { class: "line2" }, priorityChip(entry.priority), el("span", { class: "chip lang", text: entry.lang }),
        el("span", { class: "id", text: shortId(entry.conversation_id) }), take)));
    return item;
  }

  function lastCustomerText(pkg) {
    const said = (pkg.transcript || []).filter((m) => m.kind === "customer");
    return said.length ? customerWords(said[said.length - 1].text) : "";
  }

  function mineItem(id, pkg) {
    return el("div", {
      class: `item${current && current.id === id ? " active" : ""}`, role: "button", tabindex: "0", "data-id": id, "data-testid": "mine-item",
      onclick: () => openConversation(id),
      onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openConversation(id); } },
    },
    el("span", { class: "avatar customer", text: initials(t.customer), "aria-hidden": "true" }),
    el("div", { class: "body" },
      el("div", { class: "line1" }, el("span", { class: "title", text: t.conversationOf(shortId(id)) })),
      el("div", { class: "preview", text: lastCustomerText(pkg) }),
      el("div", { class: "line2" }, el("span", { class: "chip lang", text: pkg.status.lang || "" }),
        el("span", { class: "chip", text: reasonLabel(pkg.status.reason) }))));
  }

  function ticketItem(ticket) {
    return el("div", {
      class: `item${current && current.id === ticket.ticket_id ? " active" : ""}`, role: "button", tabindex: "0",
      "data-id": ticket.ticket_id, "data-testid": "ticket-item",
      onclick: () => openTicket(ticket.ticket_id),
      onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openTicket(ticket.ticket_id); } },
    },
    el("span", { class: "avatar bot", text: "T", "aria-hidden": "true" }),
    el("div", { class: "body" },
      el("div", { class: "line1" }, el("span", { class: "title", text: `${t.ticket} ${ticket.ticket_id}` }),
        el("span", { class: "waited", text: timeOf(ticket.filed_at_ms) })),
      el("div", { class: "preview", text: ticket.contact }),
      el("div", { class: "line2" }, el("span", { class: "chip lang", text: ticket.lang }),
        el("span", { class: "chip", text: reasonLabel(ticket.reason) }))));
  }

  // ---------------------------------------------------------------- claim and the other transitions
  async function claim(id) {
    try {
      await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/claim`);
      mine.set(id, null);
      saveMine();
      toast(t.claimed);
      await openConversation(id);
      loadMine();
    } catch (failure) {
      if (failure.status === 409) {
        toast(t.alreadyTaken, true);
        const item = document.querySelector(`.item[data-id="${CSS.escape(id)}"]`);
        if (item) item.classList.add("taken");
        if (current && current.id === id) refreshCurrentStatus();
      } else if (failure.status !== 401) {
        toast(t.failed, true);
      }
    }
    scheduleQueueRefresh();
  }

  async function release(action, body, done) {
    if (!current) return;
    const id = current.id;
    try {
      await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/${action}`, body);
      mine.delete(id);
      saveMine();
      toast(done);
      await refreshCurrentStatus();
      renderList();
    } catch (failure) {
      if (failure.status === 409) {
        toast(t.released, true);
        mine.delete(id);
        saveMine();
        refreshCurrentStatus();
      } else if (failure.status === 502) {
        // The chat left the agent; only the bot's record of the agent's turns is missing.
        toast(`${done} ${t.botNotUpdated}`, true);
        mine.delete(id);
        saveMine();
        refreshCurrentStatus();
      } else if (failure.status !== 401) {
        toast(t.failed, true);
      }
    }
  }

  // ---------------------------------------------------------------- a conversation
  function closeConversation() {
    if (current && current.source) current.source.close();
    current = null;
  }

  function chatArt() {
    const art = el("div", { class: "art", "aria-hidden": "true" });
    // Constant markup, no data in it.
    art.innerHTML = '<svg viewBox="0 0 24 24" width="34" height="34" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>';
    return art;
  }

  function renderPlaceholder() {
    closeConversation();
    $("conversation").replaceChildren(el("div", { class: "placeholder" },
      chatArt(), el("b", { text: t.placeholderTitle }),
      el("span", { text: t.placeholderText })));
    $("context").replaceChildren();
    if (me) renderList();
  }

  async function openConversation(id) {
    if (current && current.kind === "chat" && current.id === id) {
      // Already open: keep the view (and what the agent is typing), just bring it up to date.
      await refreshCurrentStatus();
      $("reply")?.focus();
      return;
    }
    let pkg;
    try {
      pkg = await api("GET", `/api/agent/conversations/${encodeURIComponent(id)}`);
    } catch (failure) {
      if (failure.status === 404) { mine.delete(id); saveMine(); renderList(); }
      return;
    }
    closeConversation();
    current = { kind: "chat", id, pkg, status: pkg.status, lastId: "0", shown: new Map(), suggestions: pkg.suggestions, summary: pkg.summary, rated: new Map() };
    if (pkg.status.owner === "agent" && pkg.status.agent === me.username) mine.set(id, pkg);
    renderConversation();
    renderList();
    const source = new EventSource(`/api/agent/conversations/${encodeURIComponent(id)}/events?after=${encodeURIComponent(current.lastId)}`);
    current.source = source;
    source.addEventListener("message", (event) => {
      if (!current || current.id !== id) return;
      receive(JSON.parse(event.data), true);
    });
    source.addEventListener("typing", (event) => {
      const data = JSON.parse(event.data);
      if (current && current.id === id && data.who === "customer") showTyping();
    });
  }

  function mineNow() {
    return current && current.status.owner === "agent" && current.status.agent === me.username;
  }

  async function refreshCurrentStatus() {
    if (!current || current.kind !== "chat") return;
    const id = current.id;
    try {
      const pkg = await api("GET", `/api/agent/conversations/${encodeURIComponent(id)}`);
      if (!current || current.id !== id) return;
      const before = `${current.status.owner}:${current.status.agent || ""}`;
      current.status = pkg.status;
      current.pkg.bot = pkg.bot;
      if (pkg.suggestions) current.suggestions = pkg.suggestions;
      if (pkg.summary) current.summary = pkg.summary;
      if (mineNow()) mine.set(id, pkg);
      else mine.delete(id);
      saveMine();
      renderHeader();
      renderContext();
      if (before !== `${pkg.status.owner}:${pkg.status.agent || ""}`) renderComposer();
      renderList();
    } catch (_) { /* the next event tries again */ }
  }

  function renderConversation() {
    const view = $("conversation");
    const head = el("div", { class: "conv-head", id: "conv-head" });
    const transcript = el("div", { class: "transcript", id: "transcript", role: "log", "aria-live": "polite", "aria-label": t.conversationOf(shortId(current.id)), tabindex: "0" });
    const typing = el("div", { class: "typing", id: "typing", role: "status", "aria-live": "polite" });
    const composer = el("div", { id: "composer-slot" });
    view.replaceChildren(head, transcript, typing, composer);
    current.shown = new Map();
    for (const message of current.pkg.transcript || []) receive(message, false);
    renderHeader();
    renderComposer();
    renderContext();
    transcript.scrollTop = transcript.scrollHeight; // now that the composer took its height
  }

  function ownerChip(status) {
    let text = fill(t.owners[status.owner] || status.owner, { name: status.agent_name || status.agent || "" });
    if (status.owner === "agent" && status.agent === me.username) text = t.withYou;
    return el("span", { class: `chip owner-${status.owner}`, "data-testid": "owner", text });
  }

  function renderHeader() {
    const head = $("conv-head");
    if (!head) return;
    const status = current.status;
    const actions = el("div", { class: "actions" });
    if (status.owner === "queued") {
      actions.append(el("button", { class: "btn primary", type: "button", text: t.takeChat, onclick: () => claim(current.id) }));
    } else if (mineNow()) {
      actions.append(
        el("button", { class: "btn small", type: "button", text: t.transfer, "aria-haspopup": "dialog", onclick: () => transferPopover(actions) }),
        el("button", { class: "btn small", type: "button", text: t.handBack, onclick: () => release("hand-back", undefined, t.handedBack) }),
        el("button", { class: "btn small danger", type: "button", text: t.close, "aria-haspopup": "dialog", onclick: () => closePopover(actions) }));
    }
    head.replaceChildren(
      el("span", { class: "avatar customer", text: (status.lang || "?").toUpperCase(), "aria-hidden": "true" }),
      el("div", { class: "who" }, el("h2", { text: t.conversationOf(shortId(current.id)) }),
        el("div", { class: "sub" }, ownerChip(status), status.reason ? el("span", { class: "chip", text: reasonLabel(status.reason) }) : null)),
      actions);
  }

  function popover(anchor, title, content, onConfirm) {
    for (const open of document.querySelectorAll(".popover")) open.remove();
    const confirm = el("button", { class: "btn primary small", type: "button", text: t.confirm });
    const cancel = el("button", { class: "btn small", type: "button", text: t.cancel });
    const box = el("div", { class: "popover", role: "dialog", "aria-label": title },
      el("h3", { text: title }), content, el("div", { class: "row" }, cancel, confirm));
    const dismiss = () => { box.remove(); anchor.querySelector("button")?.focus(); };
    cancel.addEventListener("click", dismiss);
    confirm.addEventListener("click", () => { box.remove(); onConfirm(); });
    box.addEventListener("keydown", (event) => { if (event.key === "Escape") dismiss(); });
    anchor.append(box);
    box.querySelector("select, input, button").focus();
  }

  async function transferPopover(anchor) {
    let agents = [];
    try { agents = await api("GET", "/api/agent/agents"); } catch (_) { /* only the queue then */ }
    const others = agents.filter((a) => a.username !== me.username);
    const select = el("select", { "aria-label": t.transferTitle },
      el("option", { value: "", text: t.backToQueue }),
      ...others.map((a) => el("option", { value: a.username, text: `${a.display_name} (${(a.languages || []).join(", ")})` })));
    const content = el("div", {}, select, others.length ? null : el("p", { class: "muted", text: t.noOneOnline }));
    popover(anchor, t.transferTitle, content, () => {
      const to = select.value || null;
      const name = to ? (others.find((a) => a.username === to) || {}).display_name || to : "";
      release("transfer", { to }, to ? t.transferred(name) : t.requeued);
    });
  }

  function closePopover(anchor) {
    const choices = el("div", { role: "radiogroup", "aria-label": t.closeTitle }, ...RESOLUTIONS.map((code, i) =>
      el("label", {}, el("input", { type: "radio", name: "resolution", value: code, checked: i === 0 }), el("span", { text: t.resolutions[code] }))));
    popover(anchor, t.closeTitle, choices, () => {
      const chosen = choices.querySelector("input:checked");
      release("close", { resolution: chosen ? chosen.value : "resolved" }, t.closedDone);
    });
  }

  function renderComposer() {
    const slot = $("composer-slot");
    if (!slot) return;
    if (!mineNow()) {
      const status = current.status;
      const text = status.owner === "agent" ? t.notYours(status.agent_name || status.agent) : t.readOnly;
      slot.replaceChildren(el("p", { class: "banner info", text }));
      return;
    }
    const id = current.id;
    // data-conversation: console-canned.js (the "/" list of canned replies) fills replies for this chat.
    const box = el("textarea", { id: "reply", "aria-label": t.reply, placeholder: t.reply, maxlength: "2000", "data-conversation": id });
    box.value = drafts.get(id) || "";
    box.addEventListener("input", () => drafts.set(id, box.value));
    const send = el("button", { class: "btn primary", type: "submit", text: t.send });
    const suggest = el("button", { class: "btn ghost small", type: "button", text: t.suggestArticle, title: t.suggestArticleHint,
      onclick: () => suggestArticle(box, suggest) });
    const form = el("form", { class: "composer" }, box,
      el("div", { class: "bar" }, el("span", { class: "hint", text: t.sendHint }), suggest, send));
    form.addEventListener("submit", (event) => { event.preventDefault(); sendReply(box, send); });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    box.addEventListener("input", agentTyping);
    slot.replaceChildren(form);
    box.focus();
    const transcript = $("transcript");
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
  }

  async function sendReply(box, button) {
    const text = box.value.trim();
    if (!text || !current) return;
    button.disabled = true;
    const id = current.id;
    try {
      // The insights count replies that used a suggested answer (inserted, then perhaps edited).
      const fromSuggestion = box.dataset.fromSuggestion === id;
      const result = await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/messages`, { text, from_suggestion: fromSuggestion });
      box.value = "";
      delete box.dataset.fromSuggestion;
      drafts.delete(id);
      if (current && current.id === id) {
        receive({ id: result.message_id, kind: "agent", text, at: Date.now(), agent: me.username, agent_name: me.display_name }, true);
      }
    } catch (failure) {
      if (failure.status === 409) {
        toast(t.notSent, true);
        refreshCurrentStatus();
      } else if (failure.status !== 401) {
        toast(t.failed, true);
      }
    } finally {
      button.disabled = false;
      box.focus();
    }
  }

  // The reply being written, else the last one sent, goes to the content team's list with the customer's last question.
  async function suggestArticle(box, button) {
    const sent = [...document.querySelectorAll("#transcript .msg.agent .bubble")];
    const reply = box.value.trim() || (sent.length ? sent[sent.length - 1].textContent.trim() : "");
    if (!reply || !current) { toast(t.nothingToSuggest, true); return; }
    button.disabled = true;
    try {
      await api("POST", `/api/agent/conversations/${encodeURIComponent(current.id)}/suggest-article`, { reply });
      toast(t.suggestedArticle);
    } catch (failure) {
      if (failure.status !== 401) toast(failure.status === 422 ? failure.message : t.failed, true);
    } finally {
      button.disabled = false;
    }
  }

  function agentTyping() {
    if (!current || !mineNow()) return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = now;
    fetch(`/api/agent/conversations/${encodeURIComponent(current.id)}/typing`, { method: "POST", credentials: "same-origin" }).catch(() => {});
  }

  function showTyping() {
    const line = $("typing");
    if (!line) return;
    line.replaceChildren(el("span", { class: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")), el("span", { text: t.typing }));
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    const line = $("typing");
    if (line) line.replaceChildren();
  }

  // ---------------------------------------------------------------- transcript
  function messageRow(message) {
    const when = el("div", { class: "time", text: timeOf(message.at) });
    if (message.kind === "customer") {
      return el("div", { class: "msg customer" }, el("span", { class: "avatar customer", text: initials(t.customer), "aria-hidden": "true" }),
        el("div", { class: "stack" }, el("div", { class: "name", text: t.customer }), el("div", { class: "bubble", text: customerWords(message.text) }), when));
    }
    if (message.kind === "agent") {
      const mineToo = message.agent === me.username;
      const name = mineToo ? t.you : message.agent_name || message.agent || "";
      return el("div", { class: "msg agent" }, el("span", { class: "avatar agent", text: initials(message.agent_name || message.agent), "aria-hidden": "true" }),
        el("div", { class: "stack" }, el("div", { class: "name", text: name }), el("div", { class: "bubble", text: message.text }), when));
    }
    if (message.kind === "bot") {
      const bubble = el("div", { class: "bubble" });
      if (typeof message.html === "string" && message.html) {
        bubble.innerHTML = message.html; // server-rendered Markdown with raw HTML disabled
        for (const link of bubble.querySelectorAll("a")) { link.target = "_blank"; link.rel = "noopener noreferrer"; }
      } else {
        bubble.textContent = message.text;
      }
      const reply = message.reply || {};
      const stack = el("div", { class: "stack" }, el("div", { class: "name", text: t.assistant }), bubble);
      if (reply.outcome) {
        const parts = [reply.outcome];
        if (reply.reason) parts.push(reasonLabel(reply.reason));
        if (typeof reply.confidence === "number") parts.push(`${Math.round(reply.confidence * 100)} %`);
        const tag = el("div", { class: "tag", text: parts.join(" · ") });
        if (reply.article) {
          tag.append(" · ", el("a", { href: helpUrl(reply.article), target: "_blank", rel: "noopener", text: reply.article }));
        }
        stack.append(tag);
      }
      stack.append(when);
      return el("div", { class: "msg bot" }, el("span", { class: "avatar bot", text: "AI", "aria-hidden": "true" }), stack);
    }
    if (message.kind === "system") {
      const template = t.events[message.event];
      if (!template) return null;
      const details = message.details || {};
      const text = fill(template, {
        name: message.agent_name || message.agent || "",
        resolution: t.resolutions[details.resolution] || details.resolution || "",
      });
      return el("div", { class: "event", text: `${text} · ${timeOf(message.at)}` });
    }
    if (message.kind === "feedback") {
      const helpful = (message.details || {}).helpful === "yes";
      return el("div", { class: `note${helpful ? " good" : ""}` }, el("span", { text: helpful ? t.feedbackYes : t.feedbackNo }));
    }
    return null;
  }

  function receive(message, live) {
    if (!current || !message || !message.id) return;
    if (compareIds(message.id, current.lastId) > 0) current.lastId = message.id;
    if (message.kind === "suggestions") {
      current.suggestions = message;
      renderContext();
      return;
    }
    if (message.kind === "summary") {
      try { current.summary = JSON.parse((message.details || {}).summary || "null"); } catch (_) { /* keep the one shown */ }
      renderContext();
      return;
    }
    if (current.shown.has(message.id)) return;
    const row = messageRow(message);
    if (!row) return;
    row.dataset.id = message.id;
    current.shown.set(message.id, row);
    const transcript = $("transcript");
    let before = null;
    for (const node of transcript.children) {
      if (node.dataset.id && compareIds(node.dataset.id, message.id) > 0) { before = node; break; }
    }
    transcript.insertBefore(row, before);
    transcript.scrollTop = transcript.scrollHeight;
    if (message.kind === "customer") hideTyping();
    if (live && message.kind === "system") refreshCurrentStatus();
  }

  // ---------------------------------------------------------------- handoff context and suggestions
  function suggestionItems(message) {
    if (!message || !message.details) return [];
    let items = message.details.items;
    if (typeof items === "string") {
      try { items = JSON.parse(items); } catch (_) { items = []; }
    }
    return Array.isArray(items) ? items : [];
  }

  function insertSuggestion(text) {
    const box = $("reply");
    if (!box) return;
    box.value = box.value.trim() ? `${box.value.trimEnd()}\n\n${text}` : text;
    box.dataset.fromSuggestion = current.id;
    drafts.set(current.id, box.value);
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    agentTyping();
  }

  function renderContext() {
    const context = $("context");
    if (!current || current.kind !== "chat") return;
    const status = current.status;
    const bot = (current.pkg && current.pkg.bot) || {};
    const facts = el("dl", { class: "facts" },
      el("dt", { text: t.reason }), el("dd", {}, status.reason ? el("span", { text: reasonLabel(status.reason) }) : "—"),
      el("dt", { text: t.lang }), el("dd", { text: t.langs[status.lang] || status.lang || "—" }));
    if (status.owner === "queued" && status.queued_at) {
      facts.append(el("dt", { text: t.waitingFor }), el("dd", { "data-waiting-since": String(status.queued_at), text: duration((Date.now() - status.queued_at) / 1000) }));
    }
    const handoff = el("section", { class: "card", "aria-label": t.handoff }, el("h3", { text: t.handoff }), facts);
    if (bot.question) handoff.append(el("div", { class: "muted", text: t.customerAsked }), el("p", { class: "question", text: customerWords(bot.question) }));

    const found = el("section", { class: "card", "aria-label": t.botFound }, el("h3", { text: t.botFound }));
    const sources = Array.isArray(bot.sources) ? bot.sources : [];
    if (bot.article || sources.length) {
      const article = bot.article || sources[0].article;
      const cited = sources.find((s) => s.article === article) || {};
      found.append(el("div", {}, el("a", { href: helpUrl(article), target: "_blank", rel: "noopener", text: cited.title || article })));
      if (typeof bot.confidence === "number") {
        const pct = Math.round(bot.confidence * 100);
        const fill = el("span");
        fill.style.width = `${Math.max(0, Math.min(100, pct))}%`; // through the CSSOM: the page's CSP refuses style="" attributes
        found.append(el("div", { class: "muted", text: t.confidenceLine(pct) }),
          el("div", { class: "meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct), "aria-label": t.confidence },
            fill));
      }
      if (sources.length) {
        found.append(el("ul", { class: "sources", "aria-label": t.sources }, ...sources.map((s) => el("li", {},
          el("a", { href: helpUrl(s.article), target: "_blank", rel: "noopener", text: s.title || s.article }),
          el("span", { class: "muted", text: typeof s.score === "number" ? s.score.toFixed(2) : "" })))));
      }
    } else {
      found.append(el("p", { class: "muted", text: t.nothingFound }));
    }

    const items = suggestionItems(current.suggestions);
    const suggestions = el("section", { class: "card", "aria-label": t.suggestions, "data-testid": "suggestions" }, el("h3", { text: t.suggestions }));
    if (!items.length) suggestions.append(el("p", { class: "muted", text: t.noSuggestions }));
    for (const item of items) suggestions.append(suggestionCard(item));
    const summary = summaryCard(current.summary);
    context.replaceChildren(...(summary ? [summary] : []), handoff, suggestions, found);
    document.dispatchEvent(new CustomEvent("lumen-console:context", { detail: { id: current.id, strings: t } })); // console-history.js
    for (const mark of suggestions.querySelectorAll("mark")) mark.parentElement.scrollTop = Math.max(0, mark.offsetTop - 8); // .text is the offsetParent (position: relative)
  }

  // The whole answer, its answering passage marked; Insert gives the whole text, never a cut one.
  function suggestionCard(item) {
    const full = String(item.text || "");
    const at = item.passage ? full.indexOf(item.passage) : -1;
    const text = el("div", { class: "text", "data-testid": "suggestion-text" });
    if (at >= 0) {
      text.append(plainText(full.slice(0, at)), el("mark", { "data-testid": "passage", text: plainText(item.passage) }),
        plainText(full.slice(at + item.passage.length)));
    } else {
      text.append(plainText(full));
    }
    const label = item.title || item.article;
    const insert = el("button", { class: "btn small", type: "button", text: t.insert, disabled: !mineNow(), "aria-label": `${t.insert}: ${label}` });
    insert.addEventListener("click", () => insertSuggestion(plainText(full).trim()));
    let insertPassage = null;
    if (at >= 0) {
      insertPassage = el("button", { class: "btn ghost small", type: "button", text: t.insertPassage, disabled: !mineNow(), "aria-label": `${t.insertPassage}: ${label}` });
      insertPassage.addEventListener("click", () => insertSuggestion(plainText(item.passage).trim()));
    }
    return el("div", { class: "suggestion", "data-testid": "suggestion", "data-article": item.article || "" },
      el("div", { class: "head" }, el("b", { text: label || "" }),
        el("span", { class: "score", text: typeof item.confidence === "number" ? `${Math.round(item.confidence * 100)} %` : "" })),
      item.question ? el("div", { class: "muted for", text: t.answersQuestion(customerWords(item.question)) }) : null,
      text,
      el("div", { class: "row" }, insert, insertPassage, item.article ? el("a", { href: helpUrl(item.article), target: "_blank", rel: "noopener", text: t.open }) : null));
  }

  function summaryCard(summary) {
    if (!summary || !summary.text) return null;
    const card = el("section", { class: `card summary${summary.urgent ? " urgent" : ""}`, "aria-label": t.summary, "data-testid": "summary" },
      el("h3", {}, t.summary, summary.urgent ? el("span", { class: "badge urgent", text: t.urgent }) : null),
      el("p", { text: summary.text }));
    const by = t.summaryBy[summary.written_by];
    if (by) card.append(el("div", { class: "muted", text: by }));
    return card;
  }

  // ---------------------------------------------------------------- tickets
  function openTicket(ticketId) {
    closeConversation();
    current = { kind: "ticket", id: ticketId, shown: new Map(), lastId: "0" };
    renderTicket();
    renderList();
  }

  function renderTicket() {
    const ticket = tickets.find((x) => x.ticket_id === current.id);
    if (!ticket) { renderPlaceholder(); return; }
    const done = el("button", { class: "btn primary", type: "button", text: t.markDone });
    done.addEventListener("click", async () => {
      try {
        await api("POST", `/api/agent/tickets/${encodeURIComponent(ticket.ticket_id)}/done`);
        toast(t.ticketDone);
        await loadTickets();
        renderPlaceholder();
      } catch (failure) {
        if (failure.status !== 401) toast(t.failed, true);
      }
    });
    const transcript = el("div", { class: "transcript", id: "transcript", role: "log", "aria-label": `${t.ticket} ${ticket.ticket_id}`, tabindex: "0" });
    $("conversation").replaceChildren(
      el("div", { class: "conv-head" },
        el("span", { class: "avatar bot", text: "T", "aria-hidden": "true" }),
        el("div", { class: "who" }, el("h2", { text: `${t.ticket} ${ticket.ticket_id}` }),
          el("div", { class: "sub" }, el("span", { class: "chip", text: reasonLabel(ticket.reason) }), el("span", { class: "chip lang", text: ticket.lang }))),
        el("div", { class: "actions" }, done)),
      transcript);
    for (const message of ticket.transcript || []) receive(message, false);
    $("context").replaceChildren(el("section", { class: "card" }, el("h3", { text: t.ticket }),
      el("dl", { class: "facts" },
        el("dt", { text: t.contact }), el("dd", { text: ticket.contact }),
        el("dt", { text: t.reason }), el("dd", { text: reasonLabel(ticket.reason) }),
        el("dt", { text: t.lang }), el("dd", { text: t.langs[ticket.lang] || ticket.lang }),
        el("dt", { text: t.filed }), el("dd", { text: new Date(ticket.filed_at_ms).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB") }))));
    document.dispatchEvent(new CustomEvent("console:ticket-shown", { detail: { ticketId: ticket.ticket_id, lang } })); // console-tickets.js
  }
  document.addEventListener("console:tickets-changed", () => loadTickets());

  // ---------------------------------------------------------------- keyboard
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") for (const open of document.querySelectorAll(".popover")) open.remove();
  });

  // ---------------------------------------------------------------- start
  applyStaticStrings();
  (async () => {
    try {
      const agent = await fetch("/api/agent/me", { credentials: "same-origin" });
      if (agent.ok) {
        await start(await agent.json());
        return;
      }
    } catch (_) { /* server unreachable: log in when it is back */ }
    showLogin();
  })();
})();
