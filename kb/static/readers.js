/* kb reader feedback on the live site (never in the static export): the "Was this article helpful?"
   form without a page reload, and beacons for the search result (or suggestion) a reader opens.
   Without JavaScript the form posts as usual and result links are plain links.
   A classic script, no inline code: it runs under the site's strict CSP. */
(function () {
  "use strict";

  var script = document.currentScript;
  var BEACON = (script && script.getAttribute("data-beacon")) || "/api/analytics/click";

  function beacon(fields) {
    if (!navigator.sendBeacon) return;
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { body.append(name, String(fields[name])); });
    navigator.sendBeacon(BEACON, body);
  }

  /* --- "Was this article helpful?" ----------------------------------------------------------- */
  function enhance(section) {
    var form = section.querySelector("form");
    var answers = section.querySelector("[data-answers]");
    var reason = section.querySelector("[data-reason]");
    var thanks = section.querySelector("[data-thanks]");
    var support = section.querySelector("[data-support]");
    if (!form || !window.fetch || !window.FormData) return;

    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button) return;  /* an old browser: the form posts as it would without JavaScript */
      event.preventDefault();
      var data = new FormData(form);
      data.set(button.name, button.value);
      var sending = button.hasAttribute("data-send");
      if (!sending) { data.delete("reason"); data.delete("reason_preset"); }
      button.disabled = true;
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        button.disabled = false;
        if (!response.ok) throw new Error("feedback refused: " + response.status);
        thanks.hidden = false;
        if (button.value === "no" && !sending) {
          answers.hidden = true;
          reason.hidden = false;
          if (support) support.hidden = false;
          var first = reason.querySelector("input, textarea");
          if (first) first.focus();
        } else {
          form.hidden = true;
          if (support && button.value === "no") support.hidden = false;
          thanks.setAttribute("tabindex", "-1");
          thanks.focus();
        }
      }).catch(function () {
        button.disabled = false;
        form.submit();  /* the page way: a thank-you page (or the reason why it was refused) */
      });
    });
  }

  /* --- which result a reader opened ------------------------------------------------------------ */
  function watchResults(list) {
    list.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a") : null;
      var item = link ? link.closest("li[data-rank]") : null;
      if (!item) return;
      beacon({
        q: list.getAttribute("data-query") || "", lang: list.getAttribute("data-lang") || "",
        slug: item.getAttribute("data-slug") || "", rank: item.getAttribute("data-rank") || ""
      });
    });
  }

  document.addEventListener("kb:suggestion", function (event) {
    var d = event.detail || {};
    if (!d.slug || !d.query) return;
    beacon({ q: d.query, lang: d.lang, slug: d.slug, rank: d.rank, suggestions: d.count });
  });

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-feedback]"), enhance);
    Array.prototype.forEach.call(document.querySelectorAll("ol[data-query]"), watchResults);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
