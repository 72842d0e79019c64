/* Advisor console: the "Previous conversations" card of a returning customer (one the site identified to
 * the widget with a signed id), and a read-only view of each earlier transcript.
 *
 * Loaded after console.js, which announces every redraw of the context column with the document event
 * "lumen-console:context" ({id, strings: its own strings}). Text from customers and agents goes in with textContent; the one markup
 * insertion is the server's `html` field of bot messages (Markdown rendered with raw HTML disabled).
 */
(() => {
  "use strict";

  const { $, el } = LumenCommon;

  const STRINGS = LumenCommon.strings({
    title: ["Previous conversations", "Conversations précédentes"],
    customerId: [(id) => `Customer id ${id}, verified by the site`, (id) => `Client n° ${id}, vérifié par le site`],
    none: ["No earlier conversation.", "Aucune conversation précédente."],
    loading: ["Loading…", "Chargement…"],
    failed: ["Could not load the earlier conversations.", "Impossible de charger les conversations précédentes."],
    read: ["Read the transcript", "Lire la conversation"],
    readLabel: [(when) => `Read the transcript of ${when}`, (when) => `Lire la conversation du ${when}`],
    readOnly: ["Read only", "Lecture seule"],
    close: ["Close", "Fermer"],
    from: { customer: ["Customer", "Client"], bot: "Assistant", agent: ["Advisor", "Conseiller"] },
    // How a conversation stands: the outcome of the bot's last reply while the bot has it, else its owner.
    outcomes: {
      answer: ["Answered by the bot", "Répondue par le bot"], decline: ["The bot could not answer", "Le bot n'a pas su répondre"],
      escalate: ["Handed to an advisor", "Transmise à un conseiller"], smalltalk: ["Small talk", "Échanges de politesse"],
      ticket: ["Ticket filed", "Ticket déposé"], bot: ["With the bot", "Avec le bot"], closed: ["Closed", "Clôturée"],
      queued: ["Waiting for an advisor", "En attente d'un conseiller"], agent: ["With an advisor", "Avec un conseiller"],
    },
  });

  let consoleStrings = {}; // the console's own, in its language (resolution codes, button payloads, system events)
  let shownFor = null; // the conversation whose history is loaded
  let history = null; // its promise: {customer, conversations}

  const t = () => STRINGS[document.documentElement.lang === "fr" ? "fr" : "en"];
  const locale = () => (document.documentElement.lang === "fr" ? "fr-FR" : "en-GB");
  const when = (ms) => new Date(ms).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
  const words = (text) => (consoleStrings.payloads || {})[text] || text; // a button's payload: its label
  // A preview line of a bot's Markdown: link texts, no emphasis marks.
  const preview = (text) => String(text).replace(/\[([^\]]+)\]\([^)]*\)/g, "$1").replace(/[*_`#]+/g, "");

  async function getJson(path) {
    const response = await fetch(path, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function outcomeOf(past) {
    const s = t();
    const resolutions = consoleStrings.resolutions || {};
    if (past.owner === "closed") return past.resolution ? `${s.outcomes.closed} · ${resolutions[past.resolution] || past.resolution}` : s.outcomes.closed;
    if (past.owner === "bot" && past.resolution === "handed_back") return eventText({ event: "handed_back" });
    if (past.owner === "bot" && past.outcome) return s.outcomes[past.outcome] || past.outcome;
    return s.outcomes[past.owner] || past.owner;
  }

  function pastItem(past) {
    const s = t();
    const started = when(past.started_at);
    const last = past.last_message
      ? el("p", { class: "last", "data-testid": "previous-last" },
        el("span", { class: "muted", text: `${s.from[past.last_from] || ""}: ` }),
        past.last_from === "bot" ? preview(past.last_message) : words(past.last_message))
      : null;
    return el("li", { "data-id": past.conversation_id, "data-testid": "previous-conversation" },
      el("div", { class: "line" }, el("time", { datetime: new Date(past.started_at).toISOString(), text: started }),
        past.lang ? el("span", { class: "chip lang", text: past.lang }) : null),
      el("div", { class: "outcome", "data-testid": "previous-outcome", text: outcomeOf(past) }),
      last,
      el("button", { class: "btn ghost small", type: "button", text: s.read, "aria-label": s.readLabel(started),
        onclick: () => readTranscript(past) }));
  }

  function card(data) {
    const s = t();
    const section = el("section", { class: "card previous", "aria-label": s.title, "data-testid": "previous-conversations" },
      el("h3", { text: s.title }));
    if (data.failed) {
      section.append(el("p", { class: "muted", text: s.failed }));
      return section;
    }
    section.append(el("div", { class: "muted who", text: s.customerId(data.customer) }));
    if (!data.conversations.length) section.append(el("p", { class: "muted", text: s.none }));
    else section.append(el("ul", {}, data.conversations.map(pastItem)));
    return section;
  }

  function place(section) {
    const context = $("context");
    context.querySelector("[data-testid='previous-conversations']")?.remove();
    context.insertBefore(section, context.querySelector("[data-testid='suggestions']"));
  }

  async function show(id) {
    if (id !== shownFor) {
      shownFor = id;
      history = getJson(`/api/agent/conversations/${encodeURIComponent(id)}/previous`).catch(() => ({ failed: true }));
    }
    const pending = history;
    const data = await pending;
    if (shownFor !== id || pending !== history) return;
    if (!data.failed && !data.customer) return; // an anonymous customer: nothing to show
    place(card(data));
  }

  // The console's own wording of a system event ("{name} joined", "Closed · {resolution}").
  function eventText(message) {
    const template = (consoleStrings.events || {})[message.event] || message.event || "";
    const details = message.details || {};
    const resolution = (consoleStrings.resolutions || {})[details.resolution] || details.resolution || "";
    return template.replace("{name}", message.agent_name || message.agent || "").replace("{resolution}", resolution);
  }

  function messageRow(message) {
    const s = t();
    if (message.kind === "system") return el("div", { class: "event", text: eventText(message) });
    if (!["customer", "bot", "agent"].includes(message.kind)) return null;
    const name = message.kind === "agent" ? message.agent_name || s.from.agent : s.from[message.kind];
    const bubble = el("div", { class: "bubble", text: message.kind === "customer" ? words(message.text) : message.text || "" });
    if (message.kind === "bot" && typeof message.html === "string" && message.html) {
      bubble.innerHTML = message.html; // server-rendered Markdown with raw HTML disabled, as console.js shows it
      for (const link of bubble.querySelectorAll("a")) { link.target = "_blank"; link.rel = "noopener noreferrer"; }
    }
    return el("div", { class: `msg ${message.kind}` },
      el("div", { class: "stack" }, el("div", { class: "name", text: name }), bubble,
        el("div", { class: "time", text: when(message.at) })));
  }

  async function readTranscript(past) {
    const s = t();
    document.querySelector("dialog.past-transcript")?.remove();
    const log = el("div", { class: "transcript", role: "log", "aria-label": s.title, tabindex: "0" },
      el("p", { class: "muted", text: s.loading }));
    const closeButton = el("button", { class: "btn small", type: "button", text: s.close });
    const dialog = el("dialog", { class: "past-transcript", "aria-label": `${s.title} · ${when(past.started_at)}`, "data-testid": "previous-transcript" },
      el("header", {}, el("div", {}, el("b", { text: when(past.started_at) }),
        el("span", { class: "chip", text: s.readOnly })), closeButton),
      log);
    closeButton.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    try {
      const pkg = await getJson(`/api/agent/conversations/${encodeURIComponent(past.conversation_id)}`);
      log.replaceChildren(...(pkg.transcript || []).map(messageRow).filter(Boolean));
    } catch (_) {
      log.replaceChildren(el("p", { class: "muted", text: s.failed }));
    }
  }

  document.addEventListener("lumen-console:context", (event) => {
    consoleStrings = event.detail.strings || {};
    show(event.detail.id);
  });
})();
