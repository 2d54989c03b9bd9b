// The runs list's selection: checkboxes choose runs for a bulk cancel, replay or retry, or
// "select all matching the filter" hands the filter itself to the bulk action. The chosen ids
// live here, not in the rows, because a live refresh replaces the rows.
(function () {
  "use strict";

  const chosen = new Set();
  let wholeFilter = false; // the bulk action takes the filter, not the ids

  function boxes() {
    return Array.from(document.querySelectorAll("#runs-rows input.pick-run"));
  }

  // Draw the checkboxes and the bar from the state above (after a click or a live refresh).
  function render() {
    const bar = document.getElementById("bulk-bar");
    if (!bar) return;
    const all = boxes();
    all.forEach(function (box) {
      box.checked = wholeFilter || chosen.has(box.value);
      box.disabled = wholeFilter;
      box.closest("tr").classList.toggle("picked", box.checked);
    });
    const page = document.getElementById("select-page");
    if (page) {
      page.checked = all.length > 0 && all.every(function (box) { return box.checked; });
      page.disabled = wholeFilter || all.length === 0;
    }
    bar.hidden = !wholeFilter && chosen.size === 0;
    document.getElementById("selected-count").textContent = String(chosen.size);
    document.getElementById("selection-summary").hidden = wholeFilter;
    document.getElementById("all-matching").hidden = !wholeFilter;
    document.getElementById("select-all-matching").hidden = wholeFilter;
  }

  function onChange(event) {
    const box = event.target;
    if (box.matches("input.pick-run")) {
      if (box.checked) chosen.add(box.value); else chosen.delete(box.value);
    } else if (box.id === "select-page") {
      boxes().forEach(function (b) {
        if (box.checked) chosen.add(b.value); else chosen.delete(b.value);
      });
    } else {
      return;
    }
    render();
  }

  function onClick(event) {
    const id = event.target.id;
    if (id === "select-all-matching") {
      wholeFilter = true;
    } else if (id === "clear-selection") {
      wholeFilter = false;
      chosen.clear();
    } else {
      return;
    }
    render();
  }

  // The form carries either the chosen ids or, for "all matching", only the filter.
  function onSubmit(event) {
    if (event.target.id !== "bulk-bar") return;
    if (!wholeFilter && chosen.size === 0) {
      event.preventDefault();
      return;
    }
    document.getElementById("bulk-scope").value = wholeFilter ? "filter" : "chosen";
    document.getElementById("bulk-ids").value = wholeFilter ? "" : Array.from(chosen).join(",");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("runs-table")) return;
    document.addEventListener("change", onChange);
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit);
    document.body.addEventListener("htmx:afterSwap", render);
    render();
  });
})();
