/*
 * A run's progress: polls the JSON endpoint named by data-progress-url and updates the <progress>
 * bar and its text; reloads the page when the run has finished, to show the counts and problems.
 * Without JavaScript a <meta http-equiv="refresh"> in <noscript> reloads the page instead.
 */
(function () {
  "use strict";

  var PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  var INTERVAL_MS = 1500;

  function localDigits(text) {
    if ((document.documentElement.lang || "").indexOf("fa") !== 0) {
      return text;
    }
    return String(text).replace(/[0-9]/g, function (d) {
      return PERSIAN_DIGITS.charAt(Number(d));
    });
  }

  function watch(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("[data-progress-bar]");
    var text = box.querySelector("[data-progress-text]");
    var template = text ? text.textContent : "";

    function poll() {
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        if (request.status !== 200) {
          window.setTimeout(poll, INTERVAL_MS * 2);
          return;
        }
        var data = JSON.parse(request.responseText);
        if (bar) {
          bar.max = data.total || 1;
          bar.value = data.done;
        }
        if (text) {
          text.textContent = localDigits(data.done + " / " + data.total + " (" + data.percent + "%)");
        }
        if (data.finished) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, INTERVAL_MS);
      };
      request.onerror = function () {
        if (text) {
          text.textContent = template;
        }
        window.setTimeout(poll, INTERVAL_MS * 2);
      };
      request.send();
    }

    window.setTimeout(poll, INTERVAL_MS);
  }

  document.querySelectorAll("[data-run-progress][data-running]").forEach(watch);
})();
