// The JSON forms (send event, invoke) and the events list's toggle: a template button fills
// its editor, "Format JSON" re-indents the editor (or says where it is broken), and a control
// marked data-autosubmit submits its form on change. No inline handlers: the CSP allows only
// scripts from 'self'.
(function () {
  "use strict";

  function errorSpan(editorId) {
    return document.querySelector('[data-format-error="' + CSS.escape(editorId) + '"]');
  }

  function say(editorId, text) {
    const span = errorSpan(editorId);
    if (span) span.textContent = text;
  }

  function fillFromTemplate(button) {
    const editor = document.getElementById(button.dataset.target);
    if (!editor) return;
    editor.value = button.dataset.template;
    say(editor.id, "");
    editor.focus();
  }

  function formatJson(button) {
    const editor = document.getElementById(button.dataset.formatJson);
    if (!editor) return;
    try {
      editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
      say(editor.id, "");
    } catch (error) {
      // Leave the text as typed: the user fixes it where the message points.
      say(editor.id, "Not valid JSON: " + error.message);
    }
  }

  document.addEventListener("click", function (event) {
    const template = event.target.closest("[data-template]");
    if (template) return fillFromTemplate(template);
    const format = event.target.closest("[data-format-json]");
    if (format) formatJson(format);
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]") && event.target.form) {
      event.target.form.requestSubmit();
    }
  });
})();
