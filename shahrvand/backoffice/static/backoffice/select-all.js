/*
 * Shahrvand back office: a "tick every request on this page" box for the queue's bulk assignment.
 * <input type="checkbox" data-select-all="NAME" hidden>: shown once this script runs; ticks or clears
 * every checkbox named NAME in the same form. Without JavaScript the box stays hidden and each row is
 * ticked by hand. CSP-safe: no inline script.
 */
(function () {
  "use strict";

  function start() {
    var boxes = document.querySelectorAll("input[data-select-all]");
    Array.prototype.forEach.call(boxes, function (all) {
      var form = all.form;
      if (!form) { return; }
      var name = all.getAttribute("data-select-all");
      var items = form.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
      all.hidden = false;
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(items, function (item) { item.checked = all.checked; });
      });
      Array.prototype.forEach.call(items, function (item) {
        item.addEventListener("change", function () {
          var ticked = form.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked').length;
          all.checked = ticked === items.length;
          all.indeterminate = ticked > 0 && ticked < items.length;
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
