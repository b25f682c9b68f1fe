/* kb search-as-you-type: an ARIA 1.2 combobox with a listbox of article suggestions. On the live site
   every input[data-suggest] is fed from /api/suggest; the offline export (offline.js) feeds the same
   combobox from its index on disk through window.KBCombobox.enhance(input, source, warm).
   Without JavaScript the forms simply submit to the search page.
   A classic script (no modules, no inline code): it must also run under a strict CSP and from file://. */
(function () {
  "use strict";

  var DELAY = 150;
  var MIN_CHARS = 2;
  var counter = 0;

  function messages() {
    var node = document.getElementById("suggest-messages");
    var get = function (name, fallback) {
      return (node && node.getAttribute("data-" + name)) || fallback;
    };
    return {
      none: get("none", "No suggestions"),
      one: get("one", "1 suggestion."),
      many: get("many", "{n} suggestions."),
      label: get("label", "Suggested articles"),
      all: get("all", "See all results for “{q}”")
    };
  }

  /* source(query, done) calls done([{title, category, url}, …]) when it has suggestions;
     warm(), if given, runs when the box gets focus (to start loading what the source needs). */
  function enhance(input, source, warm) {
    var form = input.form;
    if (!form) return;
    var text = messages();
    var id = "suggestions-" + (++counter);
    var list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", text.label);
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(list);
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    var timer = null;
    var active = -1;
    var items = [];
    var lastQuery = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function select(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      if (index < 0) index = options.length - 1;
      if (index >= options.length) index = 0;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      input.setAttribute("aria-activedescendant", options[index].id);
      if (options[index].scrollIntoView) options[index].scrollIntoView({ block: "nearest" });
    }

    function go(index) {
      var target = items[index];
      if (target) {
        /* readers.js (live site only) takes this as the final query of the as-you-type box */
        input.dispatchEvent(new CustomEvent("kb:suggestion", { bubbles: true, detail: {
          query: input.value, lang: input.getAttribute("data-lang") || "", slug: target.slug || "",
          rank: index + 1, count: items.length } }));
        window.location.assign(target.url);
      }
      else if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }

    function option(index, title, meta, extraClass) {
      var li = document.createElement("li");
      li.id = id + "-" + index;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var strong = document.createElement("span");
      strong.className = "suggestion-title" + (extraClass ? " " + extraClass : "");
      strong.textContent = title;  /* textContent: nothing from the server is parsed as HTML */
      li.appendChild(strong);
      if (meta) {
        var small = document.createElement("span");
        small.className = "suggestion-meta";
        small.textContent = meta;
        li.appendChild(small);
      }
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();  /* keep focus in the input until we navigate */
        go(index);
      });
      return li;
    }

    function show(query, results) {
      list.textContent = "";
      items = results.slice(0, 8);
      items.forEach(function (hit, index) {
        list.appendChild(option(index, hit.title, hit.category, ""));
      });
      list.appendChild(option(items.length, text.all.replace("{q}", query), "", "suggestion-all"));
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      var count = items.length;
      status.textContent = count === 0 ? text.none : count === 1 ? text.one : text.many.replace("{n}", count);
    }

    function suggest() {
      var query = input.value;
      if (query.trim().length < MIN_CHARS) {
        close();
        status.textContent = "";
        return;
      }
      if (query === lastQuery && !list.hidden) return;
      lastQuery = query;
      source(query, function (results) {
        if (input.value === query && document.activeElement === input) show(query, results);
      });
    }

    if (warm) input.addEventListener("focus", warm);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { lastQuery = ""; suggest(); return; }
        select(active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        select(active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    form.addEventListener("submit", close);
  }

  /* The live site's source: /api/suggest, the previous request aborted when a newer one starts. */
  function fetchSource(input) {
    var controller = null;
    return function (query, done) {
      if (!window.fetch) return;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var url = input.getAttribute("data-suggest") + "?lang=" + encodeURIComponent(input.getAttribute("data-lang") || "") +
        "&q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { done(data.results || []); })
        .catch(function () { /* offline or aborted: the form still works */ });
    };
  }

  window.KBCombobox = { enhance: enhance };

  function init() {
    var inputs = document.querySelectorAll("input[data-suggest]");
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i], fetchSource(inputs[i]));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
