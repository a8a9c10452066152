// After a refused form, move the focus to the error summary at the top of the page (DSFR, RGAA 11.10): a screen
// reader reads it first, a keyboard user tabs from it to the fields. An external file: the CSP allows 'self'.
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.querySelector("[data-portal-error-summary]");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
