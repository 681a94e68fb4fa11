/*
 * Shahrvand: submit a form without a click — the step between us and a payment gateway.
 * <form data-autosubmit data-delay="ms" data-duplicates="n">: after `delay` ms, post the same fields
 * `n` extra times in the background (the sandbox bank's "duplicate callback" fault), then submit.
 * The form keeps a visible button, so it works without JavaScript too. CSP-safe: no inline script.
 */
(function () {
  "use strict";

  function send(form) {
    var copies = parseInt(form.getAttribute("data-duplicates") || "0", 10) || 0;
    var pending = [];
    for (var i = 0; i < copies && window.fetch; i += 1) {
      pending.push(
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "omit", redirect: "manual" })
          .catch(function () { return null; })
      );
    }
    Promise.all(pending).then(function () { form.submit(); });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-autosubmit]");
    Array.prototype.forEach.call(forms, function (form) {
      var delay = parseInt(form.getAttribute("data-delay") || "0", 10) || 0;
      window.setTimeout(function () { send(form); }, delay);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
