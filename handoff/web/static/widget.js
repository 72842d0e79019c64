/* Lumen Mobile chat widget: one <script src="https://…/widget.js" defer></script> on any page.
 *
 * Plain JavaScript, no build step. Everything lives in a shadow root, so the host page's CSS
 * neither leaks in nor gets overridden. Optional attributes on the script tag:
 *   data-api="https://chat.example.com"  where the web app runs (default: where widget.js came from)
 *   data-lang="fr"                       UI language (default: <html lang>, then the browser's)
 *   data-open="true"                     open the panel on load
 *   data-user-id="42" data-user-hash="…" the site's logged-in customer, signed on the site's server:
 *                                        user-hash = hex(HMAC-SHA256(CUSTOMER_ID_SECRET, user-id)); advisors
 *                                        then see the customer's earlier conversations (README: Returning customers)
 *
 * Security rule: text written by a customer, an agent or the bot is inserted with textContent.
 * The only markup ever inserted is the `html` field of bot messages, which the server renders
 * from Markdown with raw HTML disabled.
 */
(() => {
  "use strict";

  const script = document.currentScript
    || Array.from(document.scripts).find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src));
  if (!script || window.LumenChat) return;

  const API = (script.dataset.api || script.src.replace(/\/(?:static\/)?widget\.js(?:[?#].*)?$/, "")).replace(/\/+$/, "");
  const STORAGE_KEY = "lumen-chat:conversation";
  const OPEN_KEY = "lumen-chat:open";
  // Whose conversation the stored one is (the hash of the signed customer id; none: anonymous): another
  // customer logged in on this browser starts a conversation of their own.
  const IDENTITY_KEY = "lumen-chat:identity";
  // The conversations this browser rated (1-5, once each): the question is not asked again.
  const RATED_KEY = "lumen-chat:rated";
  const USER_ID = script.dataset.userId || "";
  const USER_HASH = USER_ID ? script.dataset.userHash || "" : "";
  const TYPING_EVERY_MS = 2500;
  const TYPING_SHOWN_MS = 6000;
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];

  // ---------------------------------------------------------------- language
  function pickLanguage() {
    const candidates = [script.dataset.lang, document.documentElement.lang, ...(navigator.languages || []), navigator.language];
    for (const candidate of candidates) {
      const code = String(candidate || "").slice(0, 2).toLowerCase();
      if (code === "fr" || code === "en") return code;
    }
    return "en";
  }
  const LANG = pickLanguage();

  const STRINGS = {
    en: {
      openChat: "Open the chat with Lumen Mobile",
      closeChat: "Close the chat",
      title: "Lumen Mobile",
      subtitleBot: "Virtual assistant · online",
      subtitleQueued: "Waiting for an advisor",
      subtitleAgent: (name) => `${name} · Lumen Mobile advisor`,
      subtitleClosed: "Conversation closed",
      greeting: "Hi! I'm Lumen Mobile's virtual assistant. Ask me anything about your account, bills, orders, delivery, SIM or network. You can talk to a person at any time.",
      placeholder: "Write your message…",
      inputLabel: "Your message",
      send: "Send",
      talkToPerson: "Talk to a person",
      talkToPersonBusy: "You are already with our team",
      transcript: "Conversation",
      assistant: "Assistant",
      you: "You",
      advisor: "Advisor",
      helpful: "Was this helpful?",
      yes: "Yes",
      no: "No",
      helpfulYes: "This answer was helpful",
      helpfulNo: "This answer was not helpful",
      thanks: "Thanks for your feedback!",
      rateTitle: "How would you rate this conversation?",
      rateStar: (n) => `${n} out of 5`,
      rateThanks: "Thank you for your rating!",
      sourceLine: (title) => `Source: ${title}`,
      sourceLabel: (title) => `Source article: ${title} (opens in a new tab)`,
      fullArticle: (title) => `Read the full article: ${title}`,
      fullArticleLabel: (title) => `Full article: ${title} (opens in a new tab)`,
      urgentSteps: "Do this now",
      position: (n) => (n === 1 ? "You're next in line" : `You're number ${n} in line`),
      waitLine: (s) => ` · estimated wait: ${s < 60 ? "less than a minute" : `about ${Math.round(s / 60)} min`}`,
      waitingGeneric: "An advisor will be with you shortly",
      chattingWith: (name) => `You're chatting with ${name}`,
      queued: "You're in line for an advisor",
      agentJoined: (name) => `${name} joined the conversation`,
      transferred: (name) => `Your conversation was passed to ${name}`,
      requeued: "You're back in line for an advisor",
      handedBack: "The virtual assistant is back: ask me anything",
      closed: "This conversation was closed. Write again any time.",
      noAgent: "No advisor could take the chat right now",
      typing: (name) => `${name} is typing…`,
      sending: "Sending…",
      notSent: "Not sent.",
      retry: "Retry",
      tooLong: "This message is too long.",
      tooFast: "You're sending messages too fast, please wait a moment.",
      notVerified: "We couldn't confirm who you are, so the chat can't start. Please reload the page or log in again.",
      unavailable: "I can't answer right now, please try again in a moment",
      reconnecting: "Connection lost. Reconnecting…",
      unread: (n) => `${n} new message${n > 1 ? "s" : ""}`,
      footer: "Answers from the Lumen Mobile help centre",
      time: (ms) => new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }),
    },
    fr: {
      openChat: "Ouvrir la discussion avec Lumen Mobile",
      closeChat: "Fermer la discussion",
      title: "Lumen Mobile",
      subtitleBot: "Assistant virtuel · en ligne",
      subtitleQueued: "En attente d'un conseiller",
      subtitleAgent: (name) => `${name} · conseiller Lumen Mobile`,
      subtitleClosed: "Conversation terminée",
      greeting: "Bonjour ! Je suis l'assistant virtuel de Lumen Mobile. Posez-moi votre question : compte, facture, commande, livraison, SIM, réseau… Vous pouvez parler à un conseiller à tout moment.",
      placeholder: "Écrivez votre message…",
      inputLabel: "Votre message",
      send: "Envoyer",
      talkToPerson: "Parler à un conseiller",
      talkToPersonBusy: "Vous êtes déjà en relation avec notre équipe",
      transcript: "Conversation",
      assistant: "Assistant",
      you: "Vous",
      advisor: "Conseiller",
      helpful: "Cette réponse vous a-t-elle aidé ?",
      yes: "Oui",
      no: "Non",
      helpfulYes: "Cette réponse m'a aidé",
      helpfulNo: "Cette réponse ne m'a pas aidé",
      thanks: "Merci pour votre avis !",
      rateTitle: "Comment évaluez-vous cette conversation ?",
      rateStar: (n) => `${n} sur 5`,
      rateThanks: "Merci pour votre note !",
      sourceLine: (title) => `Source : ${title}`,
      sourceLabel: (title) => `Article source : ${title} (s'ouvre dans un nouvel onglet)`,
      fullArticle: (title) => `Lire l'article complet : ${title}`,
      fullArticleLabel: (title) => `Article complet : ${title} (s'ouvre dans un nouvel onglet)`,
      urgentSteps: "À faire tout de suite",
      position: (n) => (n === 1 ? "Vous êtes le prochain" : `Vous êtes ${n}ᵉ dans la file`),
      waitLine: (s) => ` · attente estimée : ${s < 60 ? "moins d'une minute" : `environ ${Math.round(s / 60)} min`}`,
      waitingGeneric: "Un conseiller va vous répondre",
      chattingWith: (name) => `Vous discutez avec ${name}`,
      queued: "Vous êtes dans la file d'attente d'un conseiller",
      agentJoined: (name) => `${name} a rejoint la conversation`,
      transferred: (name) => `Votre conversation a été confiée à ${name}`,
      requeued: "Vous êtes de nouveau dans la file d'attente",
      handedBack: "L'assistant virtuel est de retour : posez-moi vos questions",
      closed: "Cette conversation est terminée. Écrivez-nous quand vous voulez.",
      noAgent: "Aucun conseiller n'a pu prendre la discussion pour le moment",
      typing: (name) => `${name} est en train d'écrire…`,
      sending: "Envoi…",
      notSent: "Non envoyé.",
      retry: "Réessayer",
      tooLong: "Ce message est trop long.",
      tooFast: "Vous envoyez des messages trop vite, merci de patienter un instant.",
      notVerified: "Nous n'avons pas pu confirmer votre identité : la discussion ne peut pas commencer. Rechargez la page ou reconnectez-vous.",
      unavailable: "Je ne peux pas vous répondre pour le moment, merci de réessayer dans un instant",
      reconnecting: "Connexion perdue. Reconnexion…",
      unread: (n) => `${n} nouveau${n > 1 ? "x" : ""} message${n > 1 ? "s" : ""}`,
      footer: "Réponses tirées du centre d'aide Lumen Mobile",
      time: (ms) => new Date(ms).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }),
    },
  };
  const t = STRINGS[LANG];

  // ---------------------------------------------------------------- styles
  const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.root { --brand: #5b3df5; --brand-dark: #4128d8; --ink: #17162b; --muted: #6b6a80; --line: #e6e4f0;
  --bot: #f3f2f9; --paper: #fff; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  -webkit-font-smoothing: antialiased; }
button { font: inherit; cursor: pointer; }
button:focus-visible, a:focus-visible, textarea:focus-visible { outline: 3px solid #a99bff; outline-offset: 2px; }
.launcher { position: fixed; right: 24px; bottom: 24px; z-index: 2147483000; width: 60px; height: 60px; border-radius: 50%;
  border: 0; background: var(--brand); color: #fff; box-shadow: 0 8px 24px rgba(41, 22, 140, .35); display: grid; place-items: center;
  transition: transform .15s ease, background .15s ease; }
.launcher:hover { transform: scale(1.06); background: var(--brand-dark); }
.launcher svg { width: 28px; height: 28px; }
.launcher .icon-close { display: none; }
.root.open .launcher .icon-chat { display: none; }
.root.open .launcher .icon-close { display: block; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #e5374d; color: #fff; font-size: 12px; font-weight: 700; display: grid; place-items: center; border: 2px solid #fff; }
.badge[hidden] { display: none; }
.panel { position: fixed; right: 24px; bottom: 100px; z-index: 2147483000; width: 380px; max-width: calc(100vw - 32px);
  height: 620px; max-height: calc(100vh - 124px); background: var(--paper); border-radius: 18px; overflow: hidden;
  box-shadow: 0 18px 60px rgba(23, 22, 43, .28); display: flex; flex-direction: column;
  opacity: 0; transform: translateY(12px) scale(.98); transform-origin: bottom right; pointer-events: none; visibility: hidden;
  transition: opacity .18s ease, transform .18s ease, visibility 0s linear .18s; }
.root.open .panel { opacity: 1; transform: none; pointer-events: auto; visibility: visible; transition: opacity .18s ease, transform .18s ease; }
@media (max-width: 480px) { .panel { right: 0; bottom: 0; width: 100vw; max-width: 100vw; height: 100%; max-height: 100%; border-radius: 0; }
  .root.open .launcher { display: none; } }
.header { background: linear-gradient(135deg, #5b3df5 0%, #7b5cff 60%, #9b7bff 100%); color: #fff; padding: 16px 16px 14px; }
.header-top { display: flex; align-items: center; gap: 12px; }
.avatar { width: 40px; height: 40px; border-radius: 50%; flex: none; display: grid; place-items: center; font-weight: 700;
  background: rgba(255, 255, 255, .22); color: #fff; font-size: 15px; }
.avatar svg { width: 22px; height: 22px; }
.who { flex: 1; min-width: 0; }
.who h2 { margin: 0; font-size: 16px; font-weight: 700; letter-spacing: .01em; }
.who p { margin: 2px 0 0; font-size: 13px; opacity: .9; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #46e3a1; margin-right: 6px; vertical-align: 1px; }
.icon-btn { width: 36px; height: 36px; border-radius: 10px; border: 0; background: transparent; color: #fff; display: grid; place-items: center; }
.icon-btn:hover { background: rgba(255, 255, 255, .16); }
.icon-btn svg { width: 20px; height: 20px; }
.human { margin-top: 12px; width: 100%; border: 1px solid rgba(255, 255, 255, .55); background: rgba(255, 255, 255, .14); color: #fff;
  border-radius: 10px; padding: 8px 12px; font-weight: 600; display: flex; align-items: center; justify-content: center; gap: 8px; }
.human:hover:not(:disabled) { background: rgba(255, 255, 255, .26); }
.human:disabled { cursor: default; opacity: .6; }
.human svg { width: 18px; height: 18px; }
.banner { background: #fff7e0; color: #5c4300; border-bottom: 1px solid #f3e2ad; padding: 10px 16px; font-size: 13.5px; display: flex; gap: 10px; align-items: center; }
.banner[hidden] { display: none; }
.banner.agent { background: #e9fbf2; color: #0f5132; border-color: #bfe9d3; }
.banner.closed { background: #f3f2f9; color: var(--muted); border-color: var(--line); }
.banner strong { font-weight: 700; }
.spinner { width: 16px; height: 16px; flex: none; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent; animation: spin 1s linear infinite; opacity: .7; }
@keyframes spin { to { transform: rotate(360deg); } }
.conn { background: #fdecee; color: #8a1c2b; font-size: 13px; padding: 6px 16px; text-align: center; }
.conn[hidden] { display: none; }
.log { flex: 1; overflow-y: auto; padding: 16px 14px 8px; background: #fbfbfe; position: relative; }
.row { display: flex; gap: 8px; margin: 10px 0; align-items: flex-end; }
.row.customer { justify-content: flex-end; }
.row .mini { width: 28px; height: 28px; font-size: 11px; background: var(--brand); }
.row.agent .mini { background: #0f9d6b; }
.stack { max-width: 80%; display: flex; flex-direction: column; }
.row.customer .stack { align-items: flex-end; }
.name { font-size: 12px; color: var(--muted); margin: 0 0 3px 4px; }
.bubble { padding: 10px 13px; border-radius: 16px; word-wrap: break-word; overflow-wrap: anywhere; }
.row.customer .bubble { background: var(--brand); color: #fff; border-bottom-right-radius: 5px; white-space: pre-wrap; }
.row.bot .bubble { background: var(--bot); border-bottom-left-radius: 5px; }
.row.agent .bubble { background: #fff; border: 1px solid #cfeee0; border-bottom-left-radius: 5px; white-space: pre-wrap; }
.row.agent .bubble a { color: var(--brand-dark); }
.row.customer.failed .bubble { background: #fff; color: var(--ink); border: 1px solid #e5374d; }
.answer p { margin: 0 0 8px; } .answer p:last-child { margin-bottom: 0; }
.answer ol, .answer ul { margin: 4px 0 8px; padding-left: 20px; } .answer li { margin: 2px 0; }
.answer a { color: var(--brand-dark); }
.answer h1, .answer h2, .answer h3 { font-size: 15px; margin: 6px 0; }
.answer code { background: #e8e6f3; padding: 0 4px; border-radius: 4px; }
.meta { font-size: 11.5px; color: var(--muted); margin: 3px 6px 0; display: flex; gap: 6px; align-items: center; }
.meta button { border: 0; background: none; color: #c2213a; font-weight: 600; padding: 0; text-decoration: underline; }
.source { display: inline-flex; align-items: center; gap: 6px; margin-top: 8px; font-size: 13px; color: var(--brand-dark);
  text-decoration: none; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 5px 9px; max-width: 100%; }
.source:hover { border-color: var(--brand); }
.source svg { width: 14px; height: 14px; flex: none; }
.source span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.source.more { font-weight: 600; }
.row.bot .bubble.urgent { background: #fff8e6; border: 1px solid #f1c96b; }
.urgent-label { display: flex; align-items: center; gap: 6px; margin: 0 0 6px; font-size: 13px; font-weight: 700; color: #7a4d00; }
.urgent-label svg { width: 16px; height: 16px; flex: none; }
.feedback { display: flex; align-items: center; gap: 6px; margin: 6px 0 0 4px; font-size: 12.5px; color: var(--muted); }
.feedback button { border: 1px solid var(--line); background: #fff; border-radius: 999px; padding: 3px 10px; font-size: 12.5px; color: var(--ink);
  display: inline-flex; align-items: center; gap: 5px; }
.feedback button svg { width: 14px; height: 14px; }
.feedback button:hover:not(:disabled) { border-color: var(--brand); color: var(--brand-dark); }
.feedback button:disabled { opacity: .5; cursor: default; }
.rating { margin: 12px 4px; padding: 10px 12px; border: 1px solid var(--line); border-radius: 12px; background: #fff; text-align: center; font-size: 13.5px; }
.rating p { margin: 0 0 6px; font-weight: 600; }
.stars { display: inline-flex; gap: 4px; }
.stars button { border: 0; background: none; font-size: 24px; line-height: 1; padding: 2px 4px; color: #c9c5dd; border-radius: 6px; }
.stars:hover button, .stars:focus-within button { color: #f0b400; }
.stars button:hover ~ button, .stars button:focus-visible ~ button { color: #c9c5dd; }
.stars button:disabled { cursor: default; }
.quick { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 0 0; }
.quick button { border: 1.5px solid var(--brand); color: var(--brand-dark); background: #fff; border-radius: 999px; padding: 6px 14px; font-weight: 600; font-size: 14px; }
.quick button:hover { background: var(--brand); color: #fff; }
.quick[hidden] { display: none; }
.system { text-align: center; margin: 14px 0; font-size: 12.5px; color: var(--muted); display: flex; align-items: center; gap: 10px; }
.system::before, .system::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
.typing { font-size: 12.5px; color: var(--muted); padding: 2px 18px 6px; min-height: 22px; background: #fbfbfe; display: flex; align-items: center; gap: 8px; }
.dots { display: inline-flex; gap: 3px; }
.dots i { width: 6px; height: 6px; border-radius: 50%; background: #a6a4ba; animation: blink 1.2s infinite ease-in-out; }
.dots i:nth-child(2) { animation-delay: .15s; } .dots i:nth-child(3) { animation-delay: .3s; }
@keyframes blink { 0%, 80%, 100% { opacity: .3; transform: translateY(0); } 40% { opacity: 1; transform: translateY(-2px); } }
.composer { display: flex; gap: 8px; align-items: flex-end; padding: 10px 12px 8px; border-top: 1px solid var(--line); background: #fff; }
.composer textarea { flex: 1; resize: none; border: 1px solid #d8d6e6; border-radius: 12px; padding: 10px 12px; font: inherit;
  color: var(--ink); max-height: 120px; min-height: 42px; line-height: 1.4; background: #fff; }
.composer textarea:focus { border-color: var(--brand); outline: none; box-shadow: 0 0 0 3px rgba(91, 61, 245, .18); }
.send { width: 42px; height: 42px; flex: none; border-radius: 12px; border: 0; background: var(--brand); color: #fff; display: grid; place-items: center; }
.send:hover { background: var(--brand-dark); }
.send:disabled { background: #c9c3f3; cursor: default; }
.send svg { width: 20px; height: 20px; }
.footer { font-size: 11.5px; color: var(--muted); text-align: center; padding: 0 12px 10px; background: #fff; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0, 0, 0, 0); border: 0; }
@media (prefers-reduced-motion: reduce) { * { animation: none !important; transition: none !important; } }
`;

  // ---------------------------------------------------------------- DOM helpers
  const SVG = {
    chat: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>',
    close: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    down: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>',
    send: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 12h13M13 6l6 6-6 6"/></svg>',
    person: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/></svg>',
    bot: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="4" y="8" width="16" height="12" rx="3"/><path d="M12 4v4M9 14h.01M15 14h.01"/></svg>',
    up: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M7 10v11H4V10zM7 10l4-7a2 2 0 0 1 3 2l-1 5h6a2 2 0 0 1 2 2.3l-1.4 7A2 2 0 0 1 17.6 21H7"/></svg>',
    down_thumb: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M17 14V3h3v11zM17 14l-4 7a2 2 0 0 1-3-2l1-5H5a2 2 0 0 1-2-2.3l1.4-7A2 2 0 0 1 6.4 3H17"/></svg>',
    alert: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4M12 17h.01"/></svg>',
    doc: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/><path d="M14 3v6h6"/></svg>',
  };

  // Builds an element; `text` always goes through textContent.
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "icon") node.insertAdjacentHTML("afterbegin", SVG[value]); // constant markup from SVG above
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function initials(name) {
    return String(name || "?").trim().split(/\s+/).slice(0, 2).map((part) => part[0] || "").join("").toUpperCase() || "?";
  }

  // Stream ids "<ms>-<seq>" in order.
  function compareIds(a, b) {
    const [am, as] = String(a).split("-").map(Number);
    const [bm, bs] = String(b).split("-").map(Number);
    return am - bm || (as || 0) - (bs || 0);
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
      const r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The web app's address for a conversation, and for what is under it ("/messages", …).
  const conversationUrl = (id, tail = "") => `${API}/api/conversations/${encodeURIComponent(id)}${tail}`;

  function postJson(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  function storageGet(store, key) {
    try { return window[store].getItem(key); } catch (_) { return null; }
  }
  function storageSet(store, key, value) {
    try { if (value === null) window[store].removeItem(key); else window[store].setItem(key, value); } catch (_) { /* private mode */ }
  }

  // ---------------------------------------------------------------- the widget's DOM
  const host = el("div", { id: "lumen-chat-widget" });
  const shadow = host.attachShadow({ mode: "open" });
  // A constructed style sheet where the browser has them: a host page's Content-Security-Policy without
  // 'unsafe-inline' styles (this app's own pages have one) would block a <style> element.
  if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", { text: CSS }));
  }

  const badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = el("button", {
    class: "launcher", type: "button", "aria-label": t.openChat, "aria-expanded": "false", "aria-controls": "lc-panel",
  });
  launcher.insertAdjacentHTML("afterbegin", SVG.chat.replace("<svg", '<svg class="icon-chat"') + SVG.close.replace("<svg", '<svg class="icon-close"'));
  launcher.append(badge);

  const headerAvatar = el("div", { class: "avatar", icon: "bot" });
  const subtitle = el("p", {}, el("span", { class: "dot", "aria-hidden": "true" }), document.createTextNode(t.subtitleBot));
  const humanButton = el("button", { class: "human", type: "button", icon: "person" }, el("span", { text: t.talkToPerson }));
  const closeButton = el("button", { class: "icon-btn", type: "button", "aria-label": t.closeChat, icon: "down" });
  const header = el("div", { class: "header" },
    el("div", { class: "header-top" }, headerAvatar,
      el("div", { class: "who" }, el("h2", { id: "lc-title", text: t.title }), subtitle), closeButton),
    humanButton);
  const banner = el("div", { class: "banner", role: "status", hidden: true });
  const connection = el("div", { class: "conn", role: "status", hidden: true, text: t.reconnecting });
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.transcript, tabindex: "0" });
  const typingLine = el("div", { class: "typing", role: "status", "aria-live": "polite" });
  const input = el("textarea", {
    id: "lc-input", rows: "1", maxlength: "2000", placeholder: t.placeholder, "aria-label": t.inputLabel, autocomplete: "off",
  });
  const sendButton = el("button", { class: "send", type: "submit", "aria-label": t.send, icon: "send" });
  const composer = el("form", { class: "composer" }, input, sendButton);
  const panel = el("section", {
    class: "panel", id: "lc-panel", role: "dialog", "aria-labelledby": "lc-title", "aria-hidden": "true", lang: LANG,
  }, header, banner, connection, log, typingLine, composer, el("div", { class: "footer", text: t.footer }));
  const root = el("div", { class: "root" }, panel, launcher);
  shadow.append(root);

  // ---------------------------------------------------------------- state
  if ((storageGet("localStorage", IDENTITY_KEY) || "") !== USER_HASH) storageSet("localStorage", STORAGE_KEY, null);
  let conversationId = storageGet("localStorage", STORAGE_KEY);
  let creating = null; // the POST /api/conversations in flight
  let source = null; // EventSource
  let reconnectTimer = null;
  let lastId = "0"; // the newest stream id shown
  let owner = "bot";
  let agentName = "";
  let unread = 0;
  let lastTypingSent = 0;
  let typingTimer = null;
  let sendChain = Promise.resolve(); // messages are posted one after the other, in order
  const shown = new Map(); // stream id -> element: nothing is shown twice
  const pending = []; // customer messages not yet acknowledged: {clientId, text, row, id}
  const rated = new Set(); // bot answers the customer gave feedback on
  const feedbackRows = new Map(); // bot answer id -> its "Was this helpful?" element
  const payloadTitles = new Map([["/request_human", t.talkToPerson]]); // what to show for a button the customer pressed

  log.append(el("div", { class: "row bot", "data-greeting": "" },
    el("div", { class: "avatar mini", icon: "bot" }),
    el("div", { class: "stack" }, el("div", { class: "name", text: t.assistant }),
      el("div", { class: "bubble", text: t.greeting }))));

  // ---------------------------------------------------------------- rendering
  function place(row, id) {
    // Keeps the transcript in stream order; unacknowledged messages stay last.
    let before = null;
    for (const node of log.children) {
      if (node.dataset.pending !== undefined || (node.dataset.id && compareIds(node.dataset.id, id) > 0)) {
        before = node;
        break;
      }
    }
    log.insertBefore(row, before);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function metaLine(at) {
    const when = Number(at) || Date.now();
    return el("div", { class: "meta" }, el("time", { datetime: new Date(when).toISOString(), text: t.time(when) }));
  }

  function helpUrl(article) {
    return `${API}/help/${String(article).split("/").map(encodeURIComponent).join("/")}`;
  }

  function renderCustomer(text, at) {
    const shownText = payloadTitles.get(text) || text;
    return el("div", { class: "row customer" },
      el("div", { class: "stack" },
        el("span", { class: "sr-only", text: `${t.you}:` }),
        el("div", { class: "bubble", text: shownText }), metaLine(at)));
  }

  function renderBot(message) {
    const reply = message.reply || {};
    const bubble = el("div", { class: "bubble" });
    const answer = el("div", { class: "answer" });
    if (typeof message.html === "string" && message.html) {
      answer.innerHTML = message.html; // server-rendered Markdown, raw HTML disabled: the one markup insertion
      for (const link of answer.querySelectorAll("a")) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
    } else {
      answer.textContent = message.text || reply.text || "";
    }
    // A sensitive hand-over shows the article's urgent steps first (they head its text): marked as such.
    const urgent = reply.outcome === "escalate" && typeof reply.steps === "string" && reply.steps !== "";
    if (urgent) {
      bubble.classList.add("urgent");
      bubble.append(el("div", { class: "urgent-label", icon: "alert" }, el("span", { text: t.urgentSteps })));
    }
    bubble.append(answer);
    const sources = Array.isArray(reply.sources) ? reply.sources : [];
    const article = reply.article || (sources[0] && sources[0].article);
    // The text shows part of the article (the passage that answers, or the urgent steps): the whole one is a click away.
    const partial = typeof reply.more_url === "string" && reply.more_url !== "";
    if ((reply.outcome === "answer" || (urgent && partial)) && article) {
      const cited = sources.find((s) => s.article === article) || (urgent ? {} : sources[0]) || {};
      const title = cited.title || article;
      bubble.append(el("a", {
        class: partial ? "source more" : "source", href: helpUrl(article), target: "_blank", rel: "noopener",
        "aria-label": partial ? t.fullArticleLabel(title) : t.sourceLabel(title), "data-article": article, icon: "doc",
      }, el("span", { text: partial ? t.fullArticle(title) : t.sourceLine(title) })));
    }
    const stack = el("div", { class: "stack" }, el("div", { class: "name", text: t.assistant }), bubble);
    if (Array.isArray(reply.buttons) && reply.buttons.length) {
      const quick = el("div", { class: "quick", role: "group", "aria-label": message.text || "" });
      for (const button of reply.buttons) {
        if (!button || typeof button.payload !== "string") continue;
        const title = String(button.title || button.payload);
        payloadTitles.set(button.payload, title);
        quick.append(el("button", { type: "button", text: title, onclick: () => { send(button.payload); input.focus(); } }));
      }
      stack.append(quick);
    }
    if (reply.outcome === "answer") {
      const feedback = el("div", { class: "feedback", role: "group", "aria-label": t.helpful }, el("span", { text: t.helpful }));
      const yes = el("button", { type: "button", "aria-label": t.helpfulYes, icon: "up" }, el("span", { text: t.yes }));
      const no = el("button", { type: "button", "aria-label": t.helpfulNo, icon: "down_thumb" }, el("span", { text: t.no }));
      yes.addEventListener("click", () => rate(message.id, true, feedback));
      no.addEventListener("click", () => rate(message.id, false, feedback));
      feedback.append(yes, no);
      feedbackRows.set(message.id, feedback);
      if (rated.has(message.id)) thank(feedback);
      stack.append(feedback);
    }
    stack.append(metaLine(message.at));
    return el("div", { class: "row bot" }, el("div", { class: "avatar mini", icon: "bot" }), stack);
  }

  function renderAgent(message) {
    const name = message.agent_name || t.advisor;
    return el("div", { class: "row agent" },
      el("div", { class: "avatar mini", text: initials(name), "aria-hidden": "true" }),
      el("div", { class: "stack" }, el("div", { class: "name", text: name }),
        el("div", { class: "bubble" }, linkified(message.text)), metaLine(message.at)));
  }

  // An agent's text with its web addresses clickable: text nodes and <a> built one by one, no markup parsed.
  function linkified(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of String(text).matchAll(/https?:\/\/[^\s<>"')]+[^\s<>"').,;:!?]/g)) {
      fragment.append(document.createTextNode(text.slice(last, match.index)));
      fragment.append(el("a", { href: match[0], target: "_blank", rel: "noopener noreferrer", text: match[0] }));
      last = match.index + match[0].length;
    }
    fragment.append(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function systemText(message) {
    const name = message.agent_name || t.advisor;
    switch (message.event) {
      case "queued": return t.queued;
      case "agent_joined": return t.agentJoined(name);
      case "transferred": return t.transferred(name);
      case "requeued": return t.requeued;
      case "handed_back": return t.handedBack;
      case "closed": return t.closed;
      case "no_agent": return t.noAgent;
      default: return "";
    }
  }

  // ---------------------------------------------------------------- rating the conversation (1-5)
  // The end of a conversation: an advisor closed it, the bot said goodbye (`ends` in its payload), or
  // it filed a ticket.
  function endsConversation(message) {
    if (message.kind === "system") return message.event === "closed";
    const reply = message.reply || {};
    return message.kind === "bot" && (reply.ends === true || reply.outcome === "ticket");
  }

  function ratedConversations() {
    try { return JSON.parse(storageGet("localStorage", RATED_KEY) || "[]"); } catch (_) { return []; }
  }

  function offerRating() {
    const id = conversationId;
    if (!id || ratedConversations().includes(id) || log.querySelector(".rating")) return;
    const stars = el("div", { class: "stars", role: "group", "aria-label": t.rateTitle });
    const box = el("div", { class: "rating", "data-rating": "" }, el("p", { text: t.rateTitle }), stars);
    for (let n = 1; n <= 5; n += 1) {
      stars.append(el("button", { type: "button", "aria-label": t.rateStar(n), "data-stars": String(n), text: "★",
        onclick: () => sendRating(id, n, box) }));
    }
    log.append(box);
    scrollDown();
  }

  async function sendRating(id, stars, box) {
    const buttons = box.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const response = await postJson(conversationUrl(id, "/rating"), { rating: stars, lang: LANG });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      storageSet("localStorage", RATED_KEY, JSON.stringify([...ratedConversations().slice(-49), id]));
      box.replaceChildren(el("p", { role: "status", text: t.rateThanks }));
    } catch (_) {
      for (const button of buttons) button.disabled = false;
    }
  }

  function thank(feedback) {
    feedback.replaceChildren(el("span", { text: t.thanks }));
  }

  function refreshQuickReplies() {
    // Choices stay offered only until the customer says something after them.
    let answered = false;
    for (const node of Array.from(log.children).reverse()) {
      if (node.classList.contains("customer")) answered = true;
      const quick = node.querySelector(".quick");
      if (quick) quick.hidden = answered;
    }
  }

  // A message from the server (history, live feed or a POST's response), shown once.
  function receive(message, live) {
    if (!message || !message.id) return;
    if (compareIds(message.id, lastId) > 0) lastId = message.id;
    if (message.kind === "feedback") {
      const answered = message.details && message.details.for;
      if (answered) {
        rated.add(answered);
        if (feedbackRows.has(answered)) thank(feedbackRows.get(answered));
      }
      return;
    }
    if (shown.has(message.id)) return;
    let row = null;
    if (message.kind === "customer") {
      const mine = pending.find((p) => p.id === message.id) || pending.find((p) => !p.id && p.text === message.text);
      if (mine) {
        acknowledge(mine, message.id);
        return;
      }
      row = renderCustomer(message.text, message.at);
    } else if (message.kind === "bot") {
      row = renderBot(message);
      if (typingLine.dataset.who === "bot") hideTyping();
    } else if (message.kind === "agent") {
      row = renderAgent(message);
      hideTyping();
    } else if (message.kind === "system") {
      const text = systemText(message);
      if (!text) return;
      row = el("div", { class: "system", text });
      if (message.event === "agent_joined" || message.event === "transferred") setAgent(message.agent_name || "");
    } else {
      return;
    }
    row.dataset.id = message.id;
    shown.set(message.id, row);
    place(row, message.id);
    if (endsConversation(message)) offerRating();
    refreshQuickReplies();
    if (message.kind === "bot" && row.offsetHeight > log.clientHeight - 40) {
      log.scrollTop = row.offsetTop - 12; // a long answer is read from its start
    } else {
      scrollDown();
    }
    if (live && !isOpen() && (message.kind === "bot" || message.kind === "agent")) {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      launcher.setAttribute("aria-label", `${t.openChat} (${t.unread(unread)})`);
    }
  }

  // ---------------------------------------------------------------- status: bot, queued, agent, closed
  function setAgent(name) {
    agentName = name || agentName;
  }

  function applyStatus(status) {
    if (!status || !status.owner) return;
    owner = status.owner;
    if (status.agent_name) setAgent(status.agent_name);
    const busy = owner === "queued" || owner === "agent";
    humanButton.disabled = busy;
    humanButton.title = busy ? t.talkToPersonBusy : "";
    banner.className = "banner";
    banner.replaceChildren();
    let line = t.subtitleBot;
    headerAvatar.replaceChildren();
    if (owner === "queued") {
      line = t.subtitleQueued;
      headerAvatar.insertAdjacentHTML("afterbegin", SVG.person);
      const parts = [el("span", { class: "spinner", "aria-hidden": "true" })];
      const text = el("span");
      if (status.position) {
        text.append(el("strong", { text: t.position(status.position) }));
        if (typeof status.estimated_wait_s === "number") text.append(document.createTextNode(t.waitLine(status.estimated_wait_s)));
      } else {
        text.append(el("strong", { text: t.waitingGeneric }));
      }
      parts.push(text);
      banner.append(...parts);
      banner.hidden = false;
    } else if (owner === "agent") {
      const name = status.agent_name || agentName || t.advisor;
      line = t.subtitleAgent(name);
      headerAvatar.textContent = initials(name);
      banner.classList.add("agent");
      banner.append(el("span", { text: t.chattingWith(name) }));
      banner.hidden = false;
    } else if (owner === "closed") {
      line = t.subtitleClosed;
      headerAvatar.insertAdjacentHTML("afterbegin", SVG.bot);
      banner.classList.add("closed");
      banner.append(el("span", { text: t.closed }));
      banner.hidden = false;
    } else {
      headerAvatar.insertAdjacentHTML("afterbegin", SVG.bot);
      banner.hidden = true;
    }
    subtitle.replaceChildren(el("span", { class: "dot", "aria-hidden": "true" }), document.createTextNode(line));
    if (owner !== "agent" && typingLine.dataset.who === "agent") hideTyping();
  }

  async function refreshStatus() {
    if (!conversationId) return;
    try {
      const response = await fetch(conversationUrl(conversationId));
      if (response.ok) applyStatus(await response.json());
    } catch (_) { /* the live feed brings it later */ }
  }

  // ---------------------------------------------------------------- typing, both ways
  function showTyping(data) {
    if (!data || data.who !== "agent") return;
    typingLine.dataset.who = "agent";
    indicate(t.typing(data.name || agentName || t.advisor), TYPING_SHOWN_MS);
  }

  // While the bot works on an answer, it "types" too.
  function showThinking() {
    typingLine.dataset.who = "bot";
    indicate(t.typing(t.assistant), 90000);
  }

  function indicate(text, forMs) {
    typingLine.replaceChildren(el("span", { class: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
      el("span", { text }));
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, forMs);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    delete typingLine.dataset.who;
    typingLine.replaceChildren();
  }

  function customerTyping() {
    if (!conversationId || (owner !== "agent" && owner !== "queued")) return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = now;
    fetch(conversationUrl(conversationId, "/typing"), { method: "POST" }).catch(() => {});
  }

  // ---------------------------------------------------------------- the live feed
  function connect() {
    clearTimeout(reconnectTimer);
    if (source) source.close();
    if (!conversationId) return;
    const url = conversationUrl(conversationId, `/events?after=${encodeURIComponent(lastId)}`);
    source = new EventSource(url);
    source.addEventListener("open", () => { connection.hidden = true; });
    source.addEventListener("message", (event) => receive(JSON.parse(event.data), true));
    source.addEventListener("status", (event) => applyStatus(JSON.parse(event.data)));
    source.addEventListener("typing", (event) => showTyping(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      connection.hidden = false;
      // EventSource retries by itself (sending Last-Event-ID) unless the server refused the stream.
      if (source.readyState === EventSource.CLOSED) reconnectTimer = setTimeout(connect, 3000);
    });
  }

  async function restore() {
    if (!conversationId) return;
    try {
      const response = await fetch(conversationUrl(conversationId, "/messages"));
      if (response.status === 404) {
        forgetConversation();
        return;
      }
      if (response.ok) for (const message of await response.json()) receive(message, false);
    } catch (_) { /* offline: the live feed catches up when it connects */ }
    connect();
    refreshStatus();
  }

  function forgetConversation() {
    conversationId = null;
    storageSet("localStorage", STORAGE_KEY, null);
    if (source) source.close();
    source = null;
    lastId = "0";
    applyStatus({ owner: "bot" });
  }

  function ensureConversation() {
    if (conversationId) return Promise.resolve(conversationId);
    if (!creating) {
      creating = (async () => {
        const response = USER_ID
          ? await postJson(`${API}/api/conversations`, { user_id: USER_ID, user_hash: USER_HASH })
          : await fetch(`${API}/api/conversations`, { method: "POST" });
        if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
        conversationId = (await response.json()).conversation_id;
        storageSet("localStorage", STORAGE_KEY, conversationId);
        storageSet("localStorage", IDENTITY_KEY, USER_HASH || null);
        connect();
        return conversationId;
      })().finally(() => { creating = null; });
    }
    return creating;
  }

  // ---------------------------------------------------------------- sending
  function acknowledge(entry, id) {
    entry.id = id;
    const index = pending.indexOf(entry);
    if (index >= 0) pending.splice(index, 1);
    const row = entry.row;
    delete row.dataset.pending;
    row.classList.remove("failed");
    const meta = row.querySelector(".meta");
    if (!entry.unanswered) meta.replaceChildren(el("time", { text: t.time(Date.now()) }));
    if (shown.has(id) && shown.get(id) !== row) {
      row.remove(); // the live feed showed it first
      return;
    }
    row.dataset.id = id;
    shown.set(id, row);
    row.remove();
    place(row, id);
    if (compareIds(id, lastId) > 0) lastId = id;
  }

  function markFailed(entry, reason, retryable) {
    if (typingLine.dataset.who === "bot") hideTyping();
    const row = entry.row;
    row.classList.add("failed");
    const meta = row.querySelector(".meta");
    meta.replaceChildren(el("span", { text: reason }));
    if (retryable) {
      meta.append(el("button", {
        type: "button", text: t.retry, onclick: () => {
          row.classList.remove("failed");
          meta.replaceChildren(el("span", { text: t.sending }));
          sendChain = sendChain.then(() => post(entry));
        },
      }));
    }
  }

  // A service behind the web app is down (503): the customer reads so at once, while the widget tries
  // again. The message may be stored already (the live feed then shows it) but it is not answered:
  // only a retry with the same client_id, which is not stored twice, gets the answer.
  function markUnavailable(entry) {
    entry.unanswered = true;
    if (typingLine.dataset.who === "bot") hideTyping();
    entry.row.querySelector(".meta").replaceChildren(el("span", { text: t.unavailable }));
  }

  function retryAfterMs(response) {
    const seconds = Number(response.headers.get("Retry-After"));
    return seconds > 0 ? seconds * 1000 : null;
  }

  async function post(entry) {
    for (let attempt = 0; ; attempt += 1) {
      let retryable = true;
      let reason = t.notSent;
      let delayMs = RETRY_DELAYS_MS[attempt];
      try {
        const id = await ensureConversation();
        const response = await postJson(conversationUrl(id, "/messages"),
          { text: entry.text, lang: LANG, client_id: entry.clientId });
        if (response.ok) {
          const turn = await response.json();
          entry.unanswered = false;
          acknowledge(entry, turn.message_id);
          for (const message of turn.messages || []) receive(message, false);
          if (typingLine.dataset.who === "bot" && !pending.length) hideTyping();
          if (turn.owner && turn.owner !== owner) refreshStatus();
          return;
        }
        if (response.status === 404) {
          forgetConversation(); // expired: the next attempt starts a new conversation
        } else if (response.status === 429) {
          markFailed(entry, t.tooFast, true); // not stored: the customer sends it again when ready
          return;
        } else if (response.status === 503) {
          reason = t.unavailable;
          markUnavailable(entry);
          // The server's hint, but never sooner than the widget's own back-off: "1" says the cause
          // passes in seconds (a failover), while a longer outage is still not polled every second.
          delayMs = Math.max(retryAfterMs(response) || 0, delayMs);
        } else if (response.status < 500) {
          retryable = false;
          reason = response.status === 413 ? t.tooLong : t.notSent;
        }
      } catch (error) {
        // network down or the response lost: the retry carries the same client_id, so it is stored once
        if (error && error.status === 403) { // the site's signature of its customer's id does not hold
          markFailed(entry, t.notVerified, false);
          return;
        }
        if (error && error.status === 429) { // too many new conversations from here
          markFailed(entry, t.tooFast, true);
          return;
        }
        if (error && error.status === 503) { // no new conversation: the store is down
          reason = t.unavailable;
          markUnavailable(entry);
        }
      }
      // The live feed showed it stored: its replies come the same way (unless a 503 said none will).
      if (entry.id && !entry.unanswered) return;
      if (!retryable || attempt >= RETRY_DELAYS_MS.length) {
        markFailed(entry, reason, retryable);
        return;
      }
      await sleep(delayMs);
      if (entry.id && !entry.unanswered) return;
    }
  }

  function send(text) {
    const clean = String(text || "").trim();
    if (!clean) return;
    const row = renderCustomer(clean, Date.now());
    row.dataset.pending = "";
    row.querySelector(".meta").replaceChildren(el("span", { text: t.sending }));
    const entry = { clientId: uuid(), text: clean, row, id: null, unanswered: false };
    pending.push(entry);
    log.append(row);
    if (owner === "bot" || owner === "closed") showThinking();
    refreshQuickReplies();
    scrollDown();
    sendChain = sendChain.then(() => post(entry));
  }

  async function rate(messageId, helpful, feedback) {
    for (const button of feedback.querySelectorAll("button")) button.disabled = true;
    try {
      const response = await postJson(conversationUrl(conversationId, "/feedback"), { message_id: messageId, helpful, lang: LANG });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const turn = await response.json();
      rated.add(messageId);
      thank(feedback);
      receive({ id: turn.message_id, kind: "feedback", details: { for: messageId } }, false);
      for (const message of turn.messages || []) receive(message, false);
      if (turn.owner && turn.owner !== owner) refreshStatus();
    } catch (_) {
      for (const button of feedback.querySelectorAll("button")) button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- opening, closing, keyboard
  function isOpen() {
    return root.classList.contains("open");
  }

  function open() {
    root.classList.add("open");
    panel.setAttribute("aria-hidden", "false");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", t.closeChat);
    unread = 0;
    badge.hidden = true;
    storageSet("sessionStorage", OPEN_KEY, "1");
    scrollDown();
    setTimeout(() => input.focus(), 50);
  }

  function close() {
    root.classList.remove("open");
    panel.setAttribute("aria-hidden", "true");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", t.openChat);
    storageSet("sessionStorage", OPEN_KEY, null);
    launcher.focus();
  }

  launcher.addEventListener("click", () => (isOpen() ? close() : open()));
  closeButton.addEventListener("click", close);
  humanButton.addEventListener("click", () => { send("/request_human"); input.focus(); });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
    input.value = "";
    autosize();
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 120)}px`;
  }
  input.addEventListener("input", () => { autosize(); customerTyping(); });

  function mount() {
    document.body.append(host);
    applyStatus({ owner: "bot" });
    restore();
    if (script.dataset.open === "true" || storageGet("sessionStorage", OPEN_KEY)) open();
  }

  window.LumenChat = { open, close, toggle: () => (isOpen() ? close() : open()), language: LANG };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
