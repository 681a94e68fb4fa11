/*
 * Staff registry pages: the delivery upload with a progress bar, and busy states for long POSTs.
 *
 * Progressive enhancement only: without this script the forms post normally. With it, the upload
 * is sent with XMLHttpRequest so the page can show how much has been sent, then an indeterminate
 * "checking" state while the server validates, then it follows the redirect the server returns
 * as JSON ({"redirect": url}) or shows the errors it returns ({"errors": [...]}).
 */
(function () {
  "use strict";

  var PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";

  function percentText(percent) {
    if ((document.documentElement.lang || "").indexOf("fa") === 0) {
      return String(percent).replace(/[0-9]/g, function (d) {
        return PERSIAN_DIGITS.charAt(Number(d));
      }) + "٪";
    }
    return percent + "%";
  }

  function setErrors(box, list, messages) {
    if (!box || !list) {
      return;
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.hidden = messages.length === 0;
    if (messages.length) {
      box.focus();
    }
  }

  function enhanceUpload(form) {
    if (!window.FormData || !window.XMLHttpRequest) {
      return;
    }
    var progressBox = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    var status = form.querySelector("[data-upload-status]");
    var submit = form.querySelector("[data-upload-submit]");
    var errorBox = document.querySelector("[data-upload-errors]");
    var errorList = document.querySelector("[data-upload-error-list]");
    var fileInput = form.querySelector("input[type=file]");
    var busy = false;

    function finish(messages) {
      busy = false;
      submit.disabled = false;
      form.removeAttribute("aria-busy");
      progressBox.hidden = true;
      setErrors(errorBox, errorList, messages);
      if (fileInput && messages.length) {
        fileInput.setAttribute("aria-invalid", "true");
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      // Too large: say so at once instead of sending megabytes the server will refuse.
      var limit = Number(form.dataset.maxBytes || 0);
      var chosen = fileInput && fileInput.files && fileInput.files[0];
      if (limit && chosen && chosen.size > limit) {
        setErrors(errorBox, errorList, [form.dataset.textTooLarge || ""]);
        fileInput.setAttribute("aria-invalid", "true");
        return;
      }
      busy = true;
      submit.disabled = true;
      form.setAttribute("aria-busy", "true");
      setErrors(errorBox, errorList, []);
      progressBox.hidden = false;
      bar.max = 100;
      bar.value = 0;
      status.textContent = form.dataset.textUploading || "";

      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.setRequestHeader("Accept", "application/json");
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (token) {
        request.setRequestHeader("X-CSRFToken", token.value);
      }
      request.responseType = "json";

      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total > 0) {
          var percent = Math.round((e.loaded / e.total) * 100);
          bar.value = percent;
          status.textContent = (form.dataset.textUploading || "") + " " + percentText(percent);
        }
      });
      request.upload.addEventListener("load", function () {
        // Sent: the server now checks the whole delivery; the bar has no end it can know.
        bar.removeAttribute("value");
        progressBox.classList.add("upload-progress--checking");
        status.textContent = form.dataset.textValidating || "";
      });
      request.addEventListener("load", function () {
        var body = request.response || {};
        if (request.status >= 200 && request.status < 300 && body.redirect) {
          status.textContent = form.dataset.textDone || "";
          window.location.assign(body.redirect);
          return;
        }
        if (body.errors && body.errors.length) {
          finish(body.errors);
          return;
        }
        finish([form.dataset.textFailed || ""]);
      });
      request.addEventListener("error", function () {
        finish([form.dataset.textFailed || ""]);
      });
      request.addEventListener("abort", function () {
        finish([form.dataset.textFailed || ""]);
      });
      request.send(new FormData(form));
    });
  }

  function enhanceBusy(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.busy === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.busy = "1";
      form.setAttribute("aria-busy", "true");
      var button = form.querySelector("button[type=submit]");
      var status = form.querySelector("[data-busy-status]");
      if (button) {
        button.classList.add("button--busy");
        // Disabled after the submit has been dispatched, so the browser still sends the form.
        window.setTimeout(function () {
          button.disabled = true;
        }, 0);
      }
      if (status) {
        status.textContent = form.dataset.textBusy || "";
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-upload-form]").forEach(enhanceUpload);
    document.querySelectorAll("[data-busy-form]").forEach(enhanceBusy);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
