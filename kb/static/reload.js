/* kb serve --debug only: reload the tab when the server restarts after a content change. */
(function () {
  "use strict";
  var first = null;
  function poll() {
    fetch("/_kb/run", {cache: "no-store"}).then(function (answer) {
      return answer.json();
    }).then(function (data) {
      if (first === null) {
        first = data.run;
      } else if (data.run !== first) {
        window.location.reload();
        return;
      }
      window.setTimeout(poll, 1000);
    }, function () {
      window.setTimeout(poll, 1000);  /* restarting: try again */
    });
  }
  if (window.location.protocol !== "file:") { poll(); }
})();
