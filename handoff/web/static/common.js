/* What the advisor console and the help centre editor share: the log-in view and the account
 * controls of the top bar, the English/French strings and switch, the DOM helpers, the toast and
 * the calls to the page's own API.
 *
 * Plain JavaScript, no build step. Loaded with <script src="/static/common.js" defer> before the
 * page's own script, it exposes one object, window.LumenCommon. The chat widget does not use it:
 * it is embedded on other sites as one self-contained script.
 */
(() => {
  "use strict";

  // ---------------------------------------------------------------- DOM helpers
  const $ = (id) => document.getElementById(id);

  // Builds an element; `text` always goes through textContent, `dataset` fills data-* attributes,
  // `on…` adds a listener. Children may come in arrays; null, undefined and false ones are left out.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  // replaceChildren would show a skipped (null) part as the text "null".
  function show(node, ...children) {
    node.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
  }

  // ---------------------------------------------------------------- strings
  // A page writes each string once with both languages: [English, French]. A lone string or
  // function is the same in both; an object holds more keys; an array of pairs is a list.
  // Returns { en: {...}, fr: {...} }.
  function bilingual(table) {
    const pick = (value, i) => {
      if (Array.isArray(value)) return value.every(Array.isArray) ? value.map((item) => pick(item, i)) : value[i];
      if (value === null || typeof value !== "object") return value;
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, pick(item, i)]));
    };
    return { en: pick(table, 0), fr: pick(table, 1) };
  }

  // The strings of the log-in view and the top bar, and the languages' names.
  const ACCOUNT_STRINGS = {
    username: ["Username", "Identifiant"], password: ["Password", "Mot de passe"], logIn: ["Log in", "Se connecter"],
    logOut: ["Log out", "Se déconnecter"], language: ["Language", "Langue"],
    badLogin: ["Wrong username or password.", "Identifiant ou mot de passe incorrect."],
    loginFailed: ["Could not log in. Try again.", "Connexion impossible. Réessayez."],
    failed: ["Something went wrong. Try again.", "Une erreur est survenue. Réessayez."],
    langs: { en: ["English", "anglais"], fr: ["French", "français"] },
  };

  // The page's strings (its own `loginTitle` and `loginIntro` among them) with the shared ones.
  function strings(table) {
    return bilingual({ ...ACCOUNT_STRINGS, ...table });
  }

  // The language chosen before (saved under `key`), else the browser's first English or French one.
  function pickLanguage(key) {
    const saved = localStorage.getItem(key);
    if (saved === "en" || saved === "fr") return saved;
    for (const candidate of [...(navigator.languages || []), navigator.language]) {
      const code = String(candidate || "").slice(0, 2).toLowerCase();
      if (code === "fr" || code === "en") return code;
    }
    return "en";
  }

  // Writes `t` into the static labels (their data-i18n key) and shows `lang` in both language menus.
  function applyStrings(lang, t) {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-i18n]")) {
      const value = t[node.dataset.i18n];
      if (typeof value === "string") node.textContent = value;
    }
    $("login-lang").value = lang;
    $("app-lang").value = lang;
  }

  // The language menus of the log-in view and the top bar: the choice is saved under `key`, then `change(code)`.
  function onLanguageChange(key, change) {
    for (const id of ["login-lang", "app-lang"]) {
      $(id).addEventListener("change", (event) => {
        const code = event.target.value === "fr" ? "fr" : "en";
        localStorage.setItem(key, code);
        change(code);
      });
    }
  }

  // ---------------------------------------------------------------- the shared parts of the page
  // Constant markup, no data in it; labels get their text from applyStrings.
  const BRAND = '<div class="brand"><i aria-hidden="true"></i><span>lumen<b>mobile</b></span></div>';
  const languageMenu = (id) => `<select id="${id}" class="lang-switch">
        <option value="en">English</option>
        <option value="fr">Français</option>
      </select>`;

  const LOGIN_FORM = `
  <form id="login-form" class="login-card" novalidate>
    ${BRAND}
    <h1 data-i18n="loginTitle"></h1>
    <p class="muted" data-i18n="loginIntro"></p>
    <label for="login-username" data-i18n="username"></label>
    <input id="login-username" name="username" autocomplete="username" required>
    <label for="login-password" data-i18n="password"></label>
    <input id="login-password" name="password" type="password" autocomplete="current-password" required>
    <p id="login-error" class="error" role="alert"></p>
    <button class="btn primary wide" type="submit" data-i18n="logIn"></button>
    <div class="login-foot">
      <label for="login-lang" class="sr-only" data-i18n="language"></label>
      ${languageMenu("login-lang")}
    </div>
  </form>
`;

  const ACCOUNT_CONTROLS = `<span id="me" class="me"></span>
    <label for="app-lang" class="sr-only" data-i18n="language"></label>
    ${languageMenu("app-lang")}
    <button id="logout" class="btn ghost small" type="button" data-i18n="logOut"></button>`;

  // Fills the page's empty #login-view and puts the account controls (who is logged in, language,
  // log out) where the top bar has its <span data-account> placeholder. Call it first.
  function mount() {
    $("login-view").innerHTML = LOGIN_FORM;
    const slot = document.querySelector("[data-account]");
    const controls = document.createElement("template");
    controls.innerHTML = ACCOUNT_CONTROLS;
    slot.replaceWith(controls.content);
  }

  // ---------------------------------------------------------------- log in, log out
  function showLogin() {
    $("app").hidden = true;
    $("login-view").hidden = false;
    setTimeout(() => $("login-username").focus(), 0);
  }

  function showApp() {
    $("login-view").hidden = true;
    $("app").hidden = false;
  }

  // The log-in form: `logIn(username, password)` does the page's log-in and resolves to the text to
  // show under the form when it failed, to nothing when it worked.
  function onLogin(logIn) {
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = $("login-error");
      error.textContent = "";
      error.textContent = (await logIn($("login-username").value.trim(), $("login-password").value)) || "";
    });
  }

  // Once the password was accepted.
  function clearPassword() {
    $("login-password").value = "";
  }

  // The top bar's log-out button: POST `path` (the session is gone either way), then `after()`.
  function onLogout(api, path, after) {
    $("logout").addEventListener("click", async () => {
      await api("POST", path).catch(() => {});
      after();
    });
  }

  // ---------------------------------------------------------------- toast
  // Returns toast(message, isError): the page's #toast shows the message for `ms`, as an error if asked.
  function toaster(ms) {
    let timer = null;
    return (message, isError) => {
      const box = $("toast");
      box.textContent = message;
      box.classList.toggle("error", Boolean(isError));
      box.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(() => { box.hidden = true; }, ms);
    };
  }

  // ---------------------------------------------------------------- API
  const failure = (status, message, data = null) => Object.assign(new Error(message), { status, data });

  // Returns api(method, path, body, raw): a same-origin call (the session cookie goes along) that
  // resolves to the JSON answer (null for 204). The body goes as JSON, or as bytes when `raw`.
  // A 401 (but for the log-in itself) runs `loggedOut()` and rejects with `loggedOutMessage`; any
  // other failure rejects with explain(data, status) as message, and .status and .data.
  function apiClient({ loggedOut, loggedOutMessage, explain }) {
    return async function api(method, path, body, raw = false) {
      const options = { method, credentials: "same-origin", headers: {} };
      if (body !== undefined) {
        options.body = raw ? body : JSON.stringify(body);
        options.headers["Content-Type"] = raw ? "application/octet-stream" : "application/json";
      }
      const response = await fetch(path, options);
      if (response.status === 401 && !path.endsWith("/login")) {
        loggedOut();
        throw failure(401, loggedOutMessage);
      }
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (!response.ok) throw failure(response.status, explain(data, response.status), data);
      return data;
    };
  }

  window.LumenCommon = Object.freeze({
    $, el, show, strings, pickLanguage, applyStrings, onLanguageChange, mount, showLogin, showApp, onLogin,
    clearPassword, onLogout, toaster, apiClient,
  });
})();
