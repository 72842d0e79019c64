/* The chat page (/) and the demo company page (/demo), loaded in <head> before they render:
 * they follow ?lang=fr|en, else the browser's language (the widget follows <html lang>), and any
 * element with data-open-chat opens the widget. A file rather than inline code: the pages'
 * Content-Security-Policy allows no inline script. */
(() => {
  "use strict";
  const asked = new URLSearchParams(location.search).get("lang");
  document.documentElement.lang = asked === "fr" || asked === "en" ? asked
    : (navigator.language || "en").slice(0, 2) === "fr" ? "fr" : "en";
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-open-chat]") && window.LumenChat) window.LumenChat.open();
  });
})();
