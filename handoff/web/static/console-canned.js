/* Canned replies in the advisor console: typing "/" in the reply box (at its start or after a space)
 * opens the list of the advisor's team's replies in the conversation's language, searched by what
 * follows the "/". Arrows move, Enter (or Tab, or a click) puts the reply in the box, its variables
 * filled by the server for this conversation; Esc closes the list. The advisor edits it, then sends.
 *
 * Hooked onto console.js's reply box (#reply, its data-conversation attribute) by listening on the
 * document: console.js rebuilds the box whenever the chat changes hands. Replies are inserted as text.
 */
(() => {
  "use strict";

  const { el } = LumenCommon;
  const SLASH = /(^|\s)\/([^\s/]{0,40})$/;
  const STRINGS = LumenCommon.strings({
    list: ["Canned replies", "Réponses types"],
    none: [(q) => `No canned reply matches “${q}”`, (q) => `Aucune réponse type ne correspond à « ${q} »`],
    noneAtAll: ["Your team has no canned reply in this language yet.", "Votre équipe n'a pas encore de réponse type dans cette langue."],
    hint: ["“/” for canned replies", "« / » pour les réponses types"],
    unfilled: [(names) => `No value here for ${names}: edit it before sending.`,
      (names) => `Pas de valeur ici pour ${names} : modifiez-le avant d'envoyer.`],
    gone: ["This canned reply no longer exists.", "Cette réponse type n'existe plus."],
  });
  const toast = LumenCommon.toaster(5000);
  const t = () => STRINGS[document.documentElement.lang === "fr" ? "fr" : "en"];

  // What the list shows now: the box it belongs to, where the "/" is, the replies, which one is chosen.
  let menu = null;
  let asked = 0; // the latest search; older answers are dropped

  async function get(path) {
    const response = await fetch(path, { credentials: "same-origin" });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error((data && data.detail) || `HTTP ${response.status}`), { status: response.status });
    return data;
  }

  const chatPath = (box) => `/api/agent/conversations/${encodeURIComponent(box.dataset.conversation)}/canned`;

  function slashBefore(box) {
    if (box.selectionStart !== box.selectionEnd) return null;
    const match = SLASH.exec(box.value.slice(0, box.selectionStart));
    return match ? { from: match.index + match[1].length, to: box.selectionStart, query: match[2] } : null;
  }

  function close() {
    if (!menu) return;
    menu.node.remove();
    menu.box.setAttribute("aria-expanded", "false");
    menu.box.removeAttribute("aria-activedescendant");
    menu = null;
  }

  async function search(box, token) {
    const mine = ++asked;
    let replies;
    try {
      replies = await get(`${chatPath(box)}?q=${encodeURIComponent(token.query)}`);
    } catch (_) {
      return; // logged out or the chat is gone: console.js says so
    }
    if (mine !== asked || document.activeElement !== box || !slashBefore(box)) return;
    show(box, token, replies);
  }

  function show(box, token, replies) {
    const node = menu && menu.box === box ? menu.node : el("ul", { id: "canned-menu", class: "canned-menu", role: "listbox", "aria-label": t().list });
    menu = { box, node, token, replies, chosen: 0 };
    node.replaceChildren(...replies.map((reply, i) => el("li", {
      id: `canned-${reply.id}`, role: "option", class: "canned-option", "data-testid": "canned-option", "data-shortcut": reply.shortcut,
      onmousedown: (event) => { event.preventDefault(); choose(i); }, // keeps the box focused
    }, el("b", { text: `/${reply.shortcut}` }), el("span", { class: "title", text: reply.title }),
    el("span", { class: "text", text: reply.text }))));
    if (!replies.length) node.append(el("li", { class: "canned-empty", text: token.query ? t().none(token.query) : t().noneAtAll }));
    if (!node.isConnected) box.closest("form").append(node);
    box.setAttribute("aria-controls", "canned-menu");
    box.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function highlight(index) {
    if (!menu || !menu.replies.length) return;
    menu.chosen = (index + menu.replies.length) % menu.replies.length;
    menu.node.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === menu.chosen));
      if (i === menu.chosen) {
        menu.box.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  async function choose(index) {
    if (!menu || !menu.replies[index]) return;
    const { box, token } = menu;
    const reply = menu.replies[index];
    close();
    let filled;
    try {
      filled = await get(`${chatPath(box)}/${encodeURIComponent(reply.id)}`);
    } catch (failure) {
      if (failure.status === 404) toast(t().gone, true);
      else if (failure.status !== 401) toast(failure.message, true);
      return;
    }
    if (!box.isConnected || box.value.slice(token.from, token.to) !== `/${token.query}`) return; // the box changed meanwhile
    box.value = box.value.slice(0, token.from) + filled.text + box.value.slice(token.to);
    box.dispatchEvent(new Event("input", { bubbles: true })); // console.js keeps the draft and says "typing"
    const gap = filled.unfilled.length ? box.value.indexOf(`{${filled.unfilled[0]}}`, token.from) : -1;
    box.focus();
    if (gap >= 0) {
      box.setSelectionRange(gap, gap + filled.unfilled[0].length + 2); // typing replaces it
      toast(t().unfilled(filled.unfilled.map((name) => `{${name}}`).join(", ")), true);
    } else {
      const end = token.from + filled.text.length;
      box.setSelectionRange(end, end);
    }
  }

  const isReplyBox = (target) => target instanceof HTMLTextAreaElement && target.id === "reply" && target.dataset.conversation;

  document.addEventListener("input", (event) => {
    if (!isReplyBox(event.target)) return;
    const token = slashBefore(event.target);
    if (token) search(event.target, token);
    else close();
  });

  // Captured before console.js's own handler on the box, which sends on Enter.
  document.addEventListener("keydown", (event) => {
    if (!menu || event.target !== menu.box || event.isComposing) return;
    const keys = { ArrowDown: () => highlight(menu.chosen + 1), ArrowUp: () => highlight(menu.chosen - 1), Escape: close };
    if (menu.replies.length) keys.Enter = keys.Tab = () => choose(menu.chosen);
    const act = keys[event.key];
    if (!act || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation();
    act();
  }, true);

  document.addEventListener("focusin", (event) => {
    if (isReplyBox(event.target) && !event.target.placeholder.includes("/")) {
      event.target.placeholder = `${event.target.placeholder} · ${t().hint}`;
    }
  });
  document.addEventListener("focusout", (event) => { if (menu && event.target === menu.box) close(); });
  document.addEventListener("click", (event) => { if (menu && !menu.node.contains(event.target) && event.target !== menu.box) close(); });
  window.addEventListener("resize", close);
})();
