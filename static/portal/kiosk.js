// Kiosk mode (portal/kiosk.py): show the time left before the automatic sign-out of a shared computer, warn a
// minute before, and at the end send « Terminer et tout effacer ». The server ends the session at the same time
// whatever this script does. An external file: the CSP allows 'self', never an inline script.
(function () {
  "use strict";
  var counter = document.querySelector("[data-kiosk-countdown]");
  var form = document.getElementById("kiosk-end");
  if (!counter || !form) {
    return;
  }
  var warning = document.querySelector("[data-kiosk-warning]");
  var deadline = Date.now() + parseInt(counter.getAttribute("data-seconds"), 10) * 1000;
  var warned = false;
  function show() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    counter.textContent = minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
    if (left <= 60 && !warned && warning) {
      warned = true;
      warning.textContent = "Plus qu'une minute avant la déconnexion automatique : changez de page pour rester connecté.";
    }
    if (left === 0) {
      window.clearInterval(timer);
      form.submit();
    }
  }
  var timer = window.setInterval(show, 1000);
  show();
})();
