/* Article pages: a copy button on each code block and a zoom view for images. Progressive: without
   this script the code and images are all there. Labels come from #article-messages (translated). */
(function () {
  "use strict";

  function messages() {
    var node = document.getElementById("article-messages");
    return node ? node.dataset : {};
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {  /* file:// and plain http: the older way */
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (error) { done = false; }
      document.body.removeChild(area);
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function addCopyButtons(body, text) {
    body.querySelectorAll("pre").forEach(function (pre) {
      var wrapper = document.createElement("div");
      wrapper.className = "code-block";
      pre.parentNode.insertBefore(wrapper, pre);
      wrapper.appendChild(pre);
      pre.setAttribute("tabindex", "0");  /* a long line scrolls with the keyboard too */
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = text.copy || "Copy";
      var status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      button.addEventListener("click", function () {
        copyText(pre.innerText.replace(/\n$/, "")).then(function () {
          button.textContent = text.copied || "Copied";
          status.textContent = text.copied || "Copied";
        }, function () {
          status.textContent = text.failed || "";
        });
        window.setTimeout(function () {
          button.textContent = text.copy || "Copy";
          status.textContent = "";
        }, 2000);
      });
      wrapper.appendChild(button);
      wrapper.appendChild(status);
    });
  }

  function addZoom(body, text) {
    var images = body.querySelectorAll("img");
    if (!images.length || typeof HTMLDialogElement !== "function") { return; }
    var dialog = document.createElement("dialog");
    dialog.className = "zoom-view";
    var form = document.createElement("form");
    form.method = "dialog";
    var close = document.createElement("button");
    close.textContent = text.close || "Close";
    form.appendChild(close);
    var large = document.createElement("img");
    large.alt = "";
    dialog.appendChild(form);
    dialog.appendChild(large);
    document.body.appendChild(dialog);
    var opener = null;
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog || event.target === large) { dialog.close(); }
    });
    dialog.addEventListener("close", function () {
      if (opener) { opener.focus(); }
    });
    images.forEach(function (image) {
      if (image.closest("a, button")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "zoom-button";
      var name = image.getAttribute("alt") || "";
      button.setAttribute("aria-label", (text.zoom || "Enlarge image") + (name ? ": " + name : ""));
      image.parentNode.insertBefore(button, image);
      button.appendChild(image);
      button.addEventListener("click", function () {
        opener = button;
        large.src = image.currentSrc || image.src;
        large.alt = name;
        dialog.showModal();
        close.focus();
      });
    });
  }

  function start() {
    var body = document.querySelector(".article-body");
    if (!body) { return; }
    var text = messages();
    addCopyButtons(body, text);
    addZoom(body, text);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
