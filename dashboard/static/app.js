// hookd dashboard: small enhancements. Every page works without them.
(function () {
  "use strict";

  // Times are rendered in UTC. Show them relative ("3 min ago"), with the
  // absolute time in the viewer's zone, zone named, on hover and for screen
  // readers; refreshed every half minute while the page is open.
  var thisYear = new Date().getFullYear();
  var opts = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" };
  var fmt = new Intl.DateTimeFormat(undefined, opts);
  var fmtYear = new Intl.DateTimeFormat(undefined, Object.assign({ year: "numeric" }, opts));
  var rel = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" }) : null;
  var units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  function relative(d) {
    var secs = (d.getTime() - Date.now()) / 1000;
    if (!rel || Math.abs(secs) < 10) return Math.abs(secs) < 10 ? "just now" : null;
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(secs) >= units[i][1] || units[i][0] === "second") {
        return rel.format(Math.round(secs / units[i][1]), units[i][0]);
      }
    }
    return null;
  }
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      var abs = (d.getFullYear() === thisYear ? fmt : fmtYear).format(d);
      var ago = relative(d) || abs;
      el.title = abs;
      el.dataset.local = "1";
      el.textContent = "";
      var shown = document.createElement("span");
      shown.setAttribute("aria-hidden", "true");
      shown.textContent = ago;
      var spoken = document.createElement("span");
      spoken.className = "sr-only";
      spoken.textContent = ago === abs ? abs : abs + " (" + ago + ")";
      el.append(shown, spoken);
    });
  }
  setInterval(function () { localTimes(document); }, 30000);

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

  // The destination picker shows only the chosen type's fields (elements
  // whose data-types name it); the server reads only those, so hidden
  // inputs may keep what they hold. The broker URL's placeholder follows.
  function destinationPicker() {
    var pick = document.getElementById("f-type");
    if (!pick) return;
    var parts = document.querySelectorAll("form [data-types]");
    var url = document.getElementById("f-config.url");
    function show() {
      var t = pick.value;
      parts.forEach(function (el) { el.hidden = el.dataset.types.split(" ").indexOf(t) < 0; });
      var hint = pick.selectedOptions[0] && pick.selectedOptions[0].dataset.example;
      if (url && hint) url.placeholder = hint;
    }
    pick.addEventListener("change", show);
    show();
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
    destinationPicker();
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
