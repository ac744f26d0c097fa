// upload.js sends upload forms with XMLHttpRequest, which reports upload progress
// (htmx 4 uses fetch(), which does not), and hands the answer to htmx to swap in.
//
// A form opts in with the data-upload attribute. Inside it, [data-upload-progress]
// holds a <progress> and a [data-upload-percent] label, and #upload-error (or
// [data-upload-error]) receives errors found before sending. data-max-bytes and
// data-max-label let a too-large file be refused at once, and data-room-bytes,
// data-room-files and data-room-message a file that the organization's quota has no
// room for (the server checks both again). On success the answer
// replaces the element named by data-upload-target (the form itself if none), on
// failure the form; an HX-Retarget/HX-Reswap header from the server wins over both.
// The CSRF token travels in the X-CSRF-Token header, read from the body's
// hx-headers, since the portal refuses multipart bodies without it.
(function () {
  "use strict";

  function csrfToken() {
    var raw = document.body.getAttribute("hx-headers:inherited") ||
      document.body.getAttribute("hx-headers");
    try {
      return JSON.parse(raw)["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function errorBox(form) {
    return form.querySelector("[data-upload-error], #upload-error");
  }

  function showError(form, message) {
    var box = errorBox(form);
    if (!box) {
      window.alert(message);
      return;
    }
    box.textContent = message;
    box.hidden = false;
  }

  function setBusy(form, busy) {
    var status = form.querySelector("[data-upload-progress]");
    if (status) {
      status.hidden = !busy;
    }
    form.querySelectorAll("button, input[type=file]").forEach(function (el) {
      el.disabled = busy;
    });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function setProgress(form, loaded, total) {
    var pct = total > 0 ? Math.floor((loaded / total) * 100) : 0;
    var bar = form.querySelector("[data-upload-progress] progress");
    var label = form.querySelector("[data-upload-percent]");
    if (bar) {
      bar.value = pct;
    }
    if (label) {
      label.textContent = pct + "%";
    }
  }

  function swapAnswer(form, xhr) {
    var ok = xhr.status >= 200 && xhr.status < 300;
    var selector = xhr.getResponseHeader("HX-Retarget") ||
      (ok ? form.getAttribute("data-upload-target") : null);
    var target = selector ? document.querySelector(selector) : form;
    var swap = xhr.getResponseHeader("HX-Reswap") || "outerHTML";
    if (!target) {
      target = form;
    }
    if (target !== form) {
      setBusy(form, false);
    }
    var redirect = xhr.getResponseHeader("HX-Redirect");
    if (redirect) {
      window.location.assign(redirect);
      return;
    }
    if (window.htmx && typeof window.htmx.swap === "function") {
      window.htmx.swap({ text: xhr.responseText, target: target, swap: swap,
        sourceElement: form });
    } else if (swap === "innerHTML") {
      target.innerHTML = xhr.responseText;
    } else {
      target.outerHTML = xhr.responseText;
    }
  }

  function upload(form) {
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file) {
      showError(form, "Choose a file to upload.");
      return;
    }
    var max = Number(form.getAttribute("data-max-bytes"));
    if (max > 0 && file.size > max) {
      showError(form, "The file is larger than the limit of " +
        (form.getAttribute("data-max-label") || max + " bytes") + ".");
      return;
    }
    var room = form.getAttribute("data-room-bytes");
    if (room !== null && (file.size > Number(room) ||
        Number(form.getAttribute("data-room-files")) < 1)) {
      showError(form, form.getAttribute("data-room-message"));
      return;
    }
    var box = errorBox(form);
    if (box) {
      box.hidden = true;
    }

    var body = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        setProgress(form, ev.loaded, ev.total);
      }
    });
    xhr.addEventListener("load", function () {
      swapAnswer(form, xhr);
    });
    xhr.addEventListener("error", function () {
      setBusy(form, false);
      showError(form, "The upload did not reach the portal. Check the connection " +
        "and try again.");
    });
    setProgress(form, 0, file.size);
    setBusy(form, true);
    // FormData is read before the inputs are disabled, so the file goes with it.
    xhr.send(body);
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload")) {
      return;
    }
    ev.preventDefault();
    upload(form);
  });
})();
