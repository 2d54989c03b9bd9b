// The run trace: clicking a step's row opens its panel beside the trace without leaving the
// page (the URL keeps ?step=<hashed id>, so it is a deep link), a live refresh keeps the
// selected step, filter and page, hover tips say what a span is, and arrow keys move along.
(function () {
  "use strict";

  function query() { return new URLSearchParams(location.search); }

  function rowOf(step) {
    return document.querySelector('.trace-row[data-step="' + CSS.escape(step) + '"]');
  }

  function markSelected(step) {
    document.querySelectorAll(".trace-row.selected").forEach(function (row) {
      row.classList.remove("selected");
    });
    const row = rowOf(step);
    if (row) row.classList.add("selected");
  }

  // Open the panel of `step` ("" is the run itself); push: a new history entry.
  function select(step, push) {
    const params = query();
    if (step) params.set("step", step); else params.delete("step");
    if (push) {
      const search = params.toString();
      history.pushState({ step: step }, "", location.pathname + (search ? "?" + search : ""));
    }
    markSelected(step);
    params.set("fragment", "panel");
    htmx.ajax("GET", location.pathname + "?" + params.toString(),
      { target: "#step-panel", swap: "outerHTML" });
  }

  function onClick(event) {
    const link = event.target.closest("a[data-step]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (!document.getElementById("step-panel")) return;
    event.preventDefault();
    select(link.dataset.step, true);
  }

  // The live fragment's URL is fixed when rendered; what the reader looks at is in the page's
  // URL, so every refresh asks for that same step, filter and page.
  function onConfigRequest(event) {
    if (!event.detail.elt || event.detail.elt.id !== "run-live") return;
    query().forEach(function (value, key) {
      if (key !== "fragment") event.detail.parameters[key] = value;
    });
  }

  // What the reader looks at: a live refresh answering for another view is stale.
  function view(params) {
    return ["step", "q", "page"].map(function (key) { return params.get(key) || ""; }).join("\n");
  }

  // A swap replaces the scrolled list of rows: keep where the reader was. A live refresh that
  // was asked for before a click on another step would undo that click: drop it, ask again.
  let scrolled = 0;
  function beforeSwap(event) {
    const elt = event.detail.elt;
    if (elt && elt.id === "run-live" && event.detail.xhr && event.detail.xhr.responseURL) {
      const asked = new URL(event.detail.xhr.responseURL).searchParams;
      if (view(asked) !== view(query())) {
        event.detail.shouldSwap = false;
        htmx.trigger(elt, "live");
        return;
      }
    }
    const rows = document.getElementById("trace-rows");
    if (rows) scrolled = rows.scrollTop;
  }
  function afterSwap() {
    const rows = document.getElementById("trace-rows");
    if (rows) rows.scrollTop = scrolled;
    hideTip();
  }

  function revealSelected() {
    const step = query().get("step");
    const row = step && rowOf(step);
    const rows = document.getElementById("trace-rows");
    if (row && rows) rows.scrollTop = row.offsetTop - rows.offsetTop - rows.clientHeight / 3;
  }

  // One tip element for every span and mark, placed under the pointer.
  function tip() { return document.getElementById("trace-tip"); }
  function hideTip() { const el = tip(); if (el) el.hidden = true; }
  function onOver(event) {
    const target = event.target.closest("[data-tip]");
    const el = tip();
    if (!target || !el) return;
    el.textContent = target.dataset.tip;
    el.hidden = false;
    const box = target.getBoundingClientRect();
    const left = Math.min(box.left, window.innerWidth - el.offsetWidth - 8);
    el.style.left = Math.max(left, 8) + "px";
    el.style.top = (box.bottom + 6) + "px";
  }
  function onOut(event) {
    if (event.target.closest("[data-tip]")) hideTip();
  }

  // Up/Down (or k/j) select the previous/next row, unless the reader is typing.
  function onKey(event) {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey) return;
    const down = event.key === "ArrowDown" || event.key === "j";
    const up = event.key === "ArrowUp" || event.key === "k";
    if (!down && !up) return;
    const rows = Array.from(document.querySelectorAll(".trace-row"));
    const current = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    const next = rows[Math.min(Math.max(current + (down ? 1 : -1), 0), rows.length - 1)];
    if (!next) return;
    event.preventDefault();
    select(next.dataset.step, true);
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.addEventListener("click", onClick);
    document.addEventListener("htmx:configRequest", onConfigRequest);
    document.addEventListener("htmx:beforeSwap", beforeSwap);
    document.addEventListener("htmx:afterSwap", afterSwap);
    document.addEventListener("mouseover", onOver);
    document.addEventListener("mouseout", onOut);
    document.addEventListener("keydown", onKey);
    window.addEventListener("popstate", function () { select(query().get("step") || "", false); });
    revealSelected();
  });
})();
