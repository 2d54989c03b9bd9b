// Small behaviours for the server-rendered pages: live refresh over a websocket, copy
// buttons, the theme and time switches, the phone menu and Ctrl/Cmd+Enter to submit. The
// server renders all content; times come as <time data-t datetime="ISO with offset">.
(function () {
  "use strict";

  // A page that sets data-live-socket on <body> listens on that websocket; on every message
  // each element marked data-live-refresh is re-fetched by htmx (trigger "live"), at most
  // every 200 ms. Each (re)connect refreshes once too, so nothing is missed.
  function connectLive() {
    const path = document.body.dataset.liveSocket;
    if (!path) return;
    const dot = document.getElementById("live-dot");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let timer = null;
    let retry = 500;
    function refresh() {
      if (timer) return;
      timer = setTimeout(function () {
        timer = null;
        document.querySelectorAll("[data-live-refresh]").forEach(function (el) {
          htmx.trigger(el, "live");
        });
      }, 200);
    }
    function open() {
      const socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () {
        retry = 500;
        // Whatever changed before the socket opened (or while it was down) is fetched now.
        refresh();
        setTimeout(function () { if (dot) dot.classList.add("on"); }, 250);
      };
      socket.onmessage = refresh;
      socket.onclose = function () {
        if (dot) dot.classList.remove("on");
        setTimeout(open, retry);
        retry = Math.min(retry * 2, 10000);
      };
    }
    open();
  }

  // A form marked data-confirm asks first (inline onsubmit handlers would need the
  // Content-Security-Policy to allow inline scripts).
  function confirmForms() {
    document.addEventListener("submit", function (event) {
      const message = event.target.dataset && event.target.dataset.confirm;
      if (message && !window.confirm(message)) event.preventDefault();
    }, true);
  }

  function copyButtons() {
    document.addEventListener("click", function (event) {
      const button = event.target.closest("[data-copy]");
      if (!button) return;
      const source = document.getElementById(button.dataset.copy);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 1200);
        });
      }
    });
  }

  function themeToggle() {
    const order = ["auto", "dark", "light"];
    const button = document.getElementById("theme-toggle");
    if (!button) return;
    const label = function () { button.textContent = "Theme: " + document.documentElement.dataset.theme; };
    label();
    button.addEventListener("click", function () {
      const current = document.documentElement.dataset.theme || "auto";
      const next = order[(order.indexOf(current) + 1) % order.length];
      document.documentElement.dataset.theme = next;
      localStorage.setItem("theme", next);
      label();
    });
  }

  function submitShortcut() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      const form = event.target.closest && event.target.closest("form[data-submit-shortcut]");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  // A live refresh replaces a fragment: keep the <details> the user opened open.
  function keepOpenDetails() {
    let open = [];
    document.addEventListener("htmx:beforeSwap", function () {
      open = Array.from(document.querySelectorAll("details[open][data-step-id]"))
        .map(function (el) { return el.dataset.stepId; });
    });
    document.addEventListener("htmx:afterSwap", function () {
      open.forEach(function (id) {
        const el = document.querySelector('details[data-step-id="' + CSS.escape(id) + '"]');
        if (el) el.open = true;
      });
    });
  }

  // The phone menu: under the CSS breakpoint the nav is shown only while the header has
  // .nav-open (the button is hidden on wide screens, where the nav always shows).
  function navToggle() {
    const button = document.getElementById("nav-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      const open = button.closest("header").classList.toggle("nav-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Every <time data-t> shown in the chosen mode: local time, relative to now ("4 min ago"),
  // or UTC; remembered in localStorage. "auto" (the default) lets each page choose: lists
  // mark their times data-times="relative" (how recent matters there), detail pages read
  // local. The other two forms go in the title.
  const TIME_MODES = ["local", "relative", "utc"];
  function chosenMode() {
    const stored = localStorage.getItem("time-mode");
    return TIME_MODES.indexOf(stored) >= 0 ? stored : "auto";
  }
  function modeFor(el, chosen) {
    if (chosen !== "auto") return chosen;
    const scope = el.closest("[data-times]");
    const wanted = scope && scope.dataset.times;
    return TIME_MODES.indexOf(wanted) >= 0 ? wanted : "local";
  }
  function pad(n) { return String(n).padStart(2, "0"); }
  function absolute(date, utc) {
    const get = function (local, universal) { return utc ? universal.call(date) : local.call(date); };
    const P = Date.prototype;
    return get(P.getFullYear, P.getUTCFullYear) + "-" + pad(get(P.getMonth, P.getUTCMonth) + 1) +
      "-" + pad(get(P.getDate, P.getUTCDate)) + " " + pad(get(P.getHours, P.getUTCHours)) + ":" +
      pad(get(P.getMinutes, P.getUTCMinutes)) + ":" + pad(get(P.getSeconds, P.getUTCSeconds)) +
      (utc ? " UTC" : "");
  }
  function relative(date) {
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const size = Math.abs(seconds);
    const units = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
    if (size < 5) return "just now";
    for (let i = 0; i < units.length; i++) {
      if (size >= units[i][0]) {
        const text = Math.floor(size / units[i][0]) + " " + units[i][1];
        return seconds < 0 ? text + " ago" : "in " + text;
      }
    }
    return "just now";
  }
  function formatTimes(root) {
    const chosen = chosenMode();
    (root || document).querySelectorAll("time[data-t]").forEach(function (el) {
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      const mode = modeFor(el, chosen);
      const forms = { local: absolute(date, false), relative: relative(date), utc: absolute(date, true) };
      el.textContent = forms[mode];
      el.title = TIME_MODES.filter(function (m) { return m !== mode; })
        .map(function (m) { return forms[m]; }).join(" · ");
    });
  }
  function timeSwitch() {
    const select = document.getElementById("time-mode");
    if (select) {
      select.value = chosenMode();
      select.addEventListener("change", function () {
        localStorage.setItem("time-mode", select.value);
        formatTimes();
      });
    }
    formatTimes();
    // Swapped-in fragments (live refreshes, forms) come with server-rendered text.
    document.addEventListener("htmx:afterSwap", function () { formatTimes(); });
    document.addEventListener("htmx:load", function (event) { formatTimes(event.detail && event.detail.elt); });
    // Relative times age: refresh them while that mode is on.
    setInterval(function () { if (chosenMode() !== "local" && chosenMode() !== "utc") formatTimes(); }, 15000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    navToggle();
    timeSwitch();
    keepOpenDetails();
    connectLive();
    confirmForms();
    copyButtons();
    themeToggle();
    submitShortcut();
  });
})();
