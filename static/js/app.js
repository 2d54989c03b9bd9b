// Small behaviours for the server-rendered pages: live refresh over a websocket, copy
// buttons, the theme switch and Ctrl/Cmd+Enter to submit. The server renders all content.
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

  document.addEventListener("DOMContentLoaded", function () {
    keepOpenDetails();
    connectLive();
    confirmForms();
    copyButtons();
    themeToggle();
    submitShortcut();
  });
})();
