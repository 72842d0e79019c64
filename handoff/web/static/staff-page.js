/* What the steering pages (/insights, /review) share beyond common.js: signing in with an account that
 * needs one role but need not be an advisor (GET /api/staff/me, POST /api/staff/logout), the page's
 * language, and the calls to the API. Loaded after common.js, before the page's own script.
 *
 * StaffPage.start({ role, langKey, strings, refused, rendered, ready }) returns the page's handle:
 * .api(method, path, body), .t() (the strings in the chosen language), .lang(), .toast(text, isError),
 * .me(). `strings` is a LumenCommon.strings table; `refused` the key of the text for an account without
 * `role`; `ready(me)` runs once signed in; `rendered()` after the language changed.
 */
(() => {
  "use strict";

  function start({ role, langKey, strings, refused, ready, rendered }) {
    LumenCommon.mount();
    let lang = LumenCommon.pickLanguage(langKey);
    let account = null;
    const t = () => strings[lang];
    const api = LumenCommon.apiClient({
      loggedOut: () => LumenCommon.showLogin(),
      loggedOutMessage: "log in first",
      explain: (data) => (data && typeof data.detail === "string" ? data.detail : t().failed),
    });
    const page = { api, t, lang: () => lang, me: () => account, toast: LumenCommon.toaster(5000) };

    const translate = () => {
      LumenCommon.applyStrings(lang, t());
      document.title = `Lumen Mobile — ${t().product}`;
    };
    LumenCommon.onLanguageChange(langKey, (code) => {
      lang = code;
      translate();
      if (account) rendered();
    });

    // Resolves to what the log-in form should say: nothing once the page is shown.
    async function enter(me) {
      if (!me.roles.includes(role)) {
        LumenCommon.showLogin();
        return t()[refused];
      }
      account = me;
      LumenCommon.clearPassword();
      LumenCommon.showApp();
      document.getElementById("me").textContent = me.display_name;
      for (const link of document.querySelectorAll("[data-needs-role]")) link.hidden = !me.roles.includes(link.dataset.needsRole);
      await ready(me);
      return "";
    }

    LumenCommon.onLogin(async (username, password) => {
      try {
        await api("POST", "/api/agent/login", { username, password });
        return await enter(await api("GET", "/api/staff/me"));
      } catch (error) {
        return error.status === 401 ? t().badLogin : t().loginFailed;
      }
    });
    LumenCommon.onLogout(api, "/api/staff/logout", () => { account = null; LumenCommon.showLogin(); });

    translate();
    api("GET", "/api/staff/me").then(enter)
      .then((said) => { if (said) document.getElementById("login-error").textContent = said; })
      .catch(() => LumenCommon.showLogin());
    return page;
  }

  window.StaffPage = Object.freeze({ start });
})();
