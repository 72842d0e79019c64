/* Advisor console: answering a ticket. An email ticket gets a reply box (the web app sends the email over
 * SMTP), a phone ticket a "called back" note; the ticket's history (replies, call backs, their delivery)
 * shows beside it, and a failed email can be sent again from there.
 *
 * Hooks into console.js by two events: "console:ticket-shown" (a ticket was drawn: add the answer form and
 * the history) and "console:tickets-changed" (sent back: a ticket was marked done, reload the list).
 * Text is inserted with textContent only.
 */
(() => {
  "use strict";

  const { $, el } = LumenCommon;

  const STRINGS = LumenCommon.strings({
    history: ["History", "Historique"], noHistory: ["No reply yet.", "Aucune réponse pour l'instant."],
    replyByEmail: [(to) => `Reply by email to ${to}`, (to) => `Répondre par e-mail à ${to}`],
    emailHint: ["The customer gets it with a greeting and your signature, in their language.",
      "Le client le reçoit avec une formule d'accueil et votre signature, dans sa langue."],
    sendEmail: ["Send email", "Envoyer l'e-mail"], emailSent: ["Email sent.", "E-mail envoyé."],
    notSent: ["Not sent:", "Non envoyé :"], notSaved: ["Not recorded:", "Non enregistré :"],
    emailOff: ["Email is not configured on this server: replies cannot be sent by email.",
      "L'e-mail n'est pas configuré sur ce serveur : les réponses ne peuvent pas être envoyées par e-mail."],
    callBack: [(number) => `Call the customer back on ${number}, then note what was said`,
      (number) => `Rappelez le client au ${number}, puis notez ce qui a été dit`],
    notePlaceholder: ["What was said on the call", "Ce qui a été dit pendant l'appel"],
    alsoDone: ["Mark the ticket as done", "Marquer le ticket comme traité"],
    calledBack: ["Called back", "Rappel effectué"], noteSaved: ["Call back noted.", "Rappel noté."],
    retry: ["Send again", "Renvoyer"],
    channels: { email: ["Email", "E-mail"], phone: ["Call back", "Rappel"] },
    statuses: { sending: ["Sending…", "Envoi…"], sent: ["Sent", "Envoyé"], failed: ["Failed", "Échec"], called_back: ["Noted", "Noté"] },
    attempts: [(n) => `${n} attempts`, (n) => `${n} tentatives`],
  });

  const toast = LumenCommon.toaster(3500);
  const api = LumenCommon.apiClient({
    loggedOut: () => window.location.reload(), // the console opens on its log-in view
    loggedOutMessage: "logged out",
    explain: (data, status) => (data && data.detail) || `HTTP ${status}`,
  });
  const drafts = new Map(); // ticket id -> what is being written, kept across re-renders

  let shown = null; // { ticketId, lang }: the ticket the console shows

  document.addEventListener("console:ticket-shown", (event) => {
    shown = event.detail;
    load(shown.ticketId, true);
  });

  function stillShown(ticketId) {
    const transcript = $("transcript");
    return shown && shown.ticketId === ticketId && transcript && (transcript.getAttribute("aria-label") || "").endsWith(ticketId);
  }

  // `whole`: the answer form too (a ticket newly shown); else the history alone, the form keeps what it says.
  async function load(ticketId, whole = false) {
    let ticket;
    try {
      ticket = await api("GET", `/api/agent/tickets/${encodeURIComponent(ticketId)}`);
    } catch (failure) {
      if (failure.status !== 401) toast(failure.message, true);
      return;
    }
    if (!stillShown(ticketId)) return;
    const t = STRINGS[shown.lang];
    if (whole || !$("ticket-answer")) {
      $("ticket-answer")?.remove();
      $("conversation").append(ticket.channel === "email" ? emailForm(ticket, t) : callBackForm(ticket, t));
    }
    const card = historyCard(ticket, t);
    if ($("ticket-history")) $("ticket-history").replaceWith(card);
    else $("context").append(card);
  }

  function textBox(ticket, id, label, placeholder) {
    const box = el("textarea", { id, "aria-label": label, placeholder, maxlength: "10000" });
    box.value = drafts.get(ticket.ticket_id) || "";
    box.addEventListener("input", () => drafts.set(ticket.ticket_id, box.value));
    return box;
  }

  function answerForm(t, parts, submit) {
    const error = el("p", { class: "error", id: "ticket-answer-error", role: "alert" });
    const form = el("form", { class: "composer ticket-answer", id: "ticket-answer" }, ...parts, error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      error.textContent = "";
      try {
        await submit(error);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function emailForm(ticket, t) {
    const label = t.replyByEmail(ticket.contact);
    const box = textBox(ticket, "ticket-reply", label, label);
    const off = ticket.email_enabled ? null : el("p", { class: "banner", "data-testid": "email-off", text: t.emailOff });
    const parts = [off, el("label", { for: "ticket-reply", class: "answer-label", text: label }), box,
      el("div", { class: "bar" }, el("span", { class: "hint", text: t.emailHint }),
        el("button", { class: "btn primary", type: "submit", text: t.sendEmail }))];
    return answerForm(t, parts, async (error) => {
      const text = box.value.trim();
      if (!text) return;
      try {
        await api("POST", `/api/agent/tickets/${encodeURIComponent(ticket.ticket_id)}/replies`, { text });
        toast(t.emailSent);
        forget(ticket, box);
      } catch (failure) {
        if (failure.status === 401) return;
        error.textContent = notSent(failure, t);
        if (failure.status === 502) forget(ticket, box); // kept in the history, as failed: sent again from there
      }
      await load(ticket.ticket_id);
    });
  }

  function callBackForm(ticket, t) {
    const label = t.callBack(ticket.contact);
    const box = textBox(ticket, "callback-note", label, t.notePlaceholder);
    const done = el("input", { type: "checkbox", id: "callback-done" });
    const parts = [el("label", { for: "callback-note", class: "answer-label", text: label }), box,
      el("div", { class: "bar" }, el("label", { class: "hint check" }, done, el("span", { text: t.alsoDone })),
        el("button", { class: "btn primary", type: "submit", text: t.calledBack }))];
    return answerForm(t, parts, async (error) => {
      const note = box.value.trim();
      if (!note) return;
      try {
        await api("POST", `/api/agent/tickets/${encodeURIComponent(ticket.ticket_id)}/callbacks`, { note, done: done.checked });
      } catch (failure) {
        if (failure.status !== 401) error.textContent = `${t.notSaved} ${failure.message}`;
        return;
      }
      toast(t.noteSaved);
      forget(ticket, box);
      if (done.checked) document.dispatchEvent(new CustomEvent("console:tickets-changed"));
      else await load(ticket.ticket_id);
    });
  }

  // A 502 says itself that the email was not sent, and why.
  function notSent(failure, t) {
    const said = String(failure.message);
    return failure.status === 502 ? said.charAt(0).toUpperCase() + said.slice(1) : `${t.notSent} ${said}`;
  }

  function forget(ticket, box) {
    box.value = "";
    drafts.delete(ticket.ticket_id);
  }

  function historyCard(ticket, t) {
    const entries = ticket.history.map((reply) => historyEntry(ticket, reply, t));
    return el("section", { class: "card", id: "ticket-history", "aria-label": t.history, "data-testid": "ticket-history" },
      el("h3", { text: t.history }),
      entries.length ? el("ol", { class: "ticket-history" }, entries) : el("p", { class: "muted", text: t.noHistory }));
  }

  function historyEntry(ticket, reply, t) {
    const when = new Date(reply.delivered_at_ms || reply.at_ms).toLocaleString(shown.lang === "fr" ? "fr-FR" : "en-GB",
      { dateStyle: "short", timeStyle: "short" });
    let retry = null;
    // One still "sending" a minute on was cut off (the web app stopped): the server lets it be sent again.
    const cutOff = reply.status === "sending" && Date.now() - (reply.attempted_at_ms || reply.at_ms) > 60_000;
    if (reply.status === "failed" || cutOff) {
      retry = el("button", { class: "btn small", type: "button", text: t.retry });
      retry.addEventListener("click", () => sendAgain(ticket, reply, retry, t));
    }
    return el("li", { class: `history-entry ${reply.status}`, "data-testid": "history-entry", "data-status": reply.status },
      el("div", { class: "head" }, el("b", { text: t.channels[reply.channel] || reply.channel }),
        el("span", { text: reply.agent_name }), el("span", { class: "muted", text: when }),
        el("span", { class: `chip status ${reply.status}`, "data-testid": "delivery", text: t.statuses[reply.status] || reply.status })),
      el("p", { class: "text", text: reply.text }),
      reply.error ? el("p", { class: "error", text: reply.error }) : null,
      reply.attempts > 1 ? el("p", { class: "muted", text: t.attempts(reply.attempts) }) : null,
      retry);
  }

  async function sendAgain(ticket, reply, button, t) {
    button.disabled = true;
    try {
      await api("POST", `/api/agent/tickets/${encodeURIComponent(ticket.ticket_id)}/replies/${encodeURIComponent(reply.reply_id)}/retry`);
      toast(t.emailSent);
      const error = $("ticket-answer-error"); // what the first attempt said is over
      if (error) error.textContent = "";
    } catch (failure) {
      if (failure.status !== 401) toast(notSent(failure, t), true);
    }
    await load(ticket.ticket_id);
  }
})();
