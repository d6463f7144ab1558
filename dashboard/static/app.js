// hookd dashboard: small enhancements. Every page works without them.
(function () {
  "use strict";

  // Times are rendered in UTC; show them in the viewer's time zone.
  var thisYear = new Date().getFullYear();
  var opts = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
  var fmt = new Intl.DateTimeFormat(undefined, opts);
  var fmtYear = new Intl.DateTimeFormat(undefined, Object.assign({ year: "numeric" }, opts));
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.local) return;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.textContent = (d.getFullYear() === thisYear ? fmt : fmtYear).format(d);
      el.dataset.local = "1";
    });
  }

  // Copy buttons are hidden until this script can make them work.
  function copyButtons(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
      if (b.dataset.ready) return;
      b.dataset.ready = "1";
      b.hidden = false;
      b.addEventListener("click", function () {
        var text = b.dataset.copy;
        var done = function () {
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = "Copy"; }, 1500);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
        } else {
          fallbackCopy(text);
          done();
        }
      });
    });
  }
  function fallbackCopy(text) {
    var t = document.createElement("textarea");
    t.value = text;
    t.setAttribute("readonly", "");
    t.style.position = "absolute";
    t.style.left = "-9999px";
    document.body.appendChild(t);
    t.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable */ }
    document.body.removeChild(t);
  }

  // "Add another header" clones the last empty row.
  function headerRows() {
    var add = document.querySelector("button.add-header");
    var rows = document.querySelector(".header-rows");
    if (!add || !rows) return;
    add.hidden = false;
    add.addEventListener("click", function () {
      var last = rows.lastElementChild;
      var row = last.cloneNode(true);
      var n = rows.children.length;
      row.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.placeholder = input.name === "header_name" ? "X-Api-Key" : "";
        input.id = input.id.replace(/-\d+$/, "-" + n);
      });
      row.querySelectorAll("label").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/-\d+$/, "-" + n);
      });
      rows.appendChild(row);
      row.querySelector("input").focus();
    });
  }

  // The event-type picker: ticking a type means "only these", choosing
  // "All" clears the ticks, and the summary says what will be saved.
  function typePicker() {
    var set = document.getElementById("f-event_types");
    if (!set) return;
    var all = set.querySelector('input[name="subscribe"][value="all"]');
    var chosen = set.querySelector('input[name="subscribe"][value="chosen"]');
    var boxes = set.querySelectorAll('input[name="event_types"]');
    var summary = document.getElementById("f-types-summary");
    function describe() {
      var names = [];
      boxes.forEach(function (b) { if (b.checked) names.push(b.value); });
      var d = summary.dataset;
      if (all.checked) summary.textContent = d.all;
      else if (names.length) summary.textContent = d.some + names.join(", ") + ".";
      else summary.textContent = d.none;
    }
    boxes.forEach(function (b) {
      b.addEventListener("change", function () {
        if (b.checked) chosen.checked = true;
        describe();
      });
    });
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = false; });
      describe();
    });
    chosen.addEventListener("change", describe);
  }

  // The one-time secret opens as a modal dialog (focus stays inside).
  function secretDialog() {
    var d = document.getElementById("secret-dialog");
    if (!d || !d.showModal || !d.open) return;
    d.close();
    d.showModal();
  }

  // Move focus to a form's error summary.
  function errorSummary() {
    var s = document.getElementById("error-summary");
    if (s) s.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    copyButtons(document);
    headerRows();
    typePicker();
    secretDialog();
    errorSummary();
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    localTimes(e.target);
    copyButtons(e.target);
  });
  // htmx replaces the element that polled; settle events fire on the new one.
  document.addEventListener("htmx:load", function (e) {
    localTimes(e.target);
    copyButtons(e.target);
  });
})();
