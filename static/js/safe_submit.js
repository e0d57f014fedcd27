// Forms that record money (data-safe-submit) are sent with fetch, so a dropped link or a server
// error is answered on the form itself, with the entered values kept, instead of the browser's
// own error page. The wording comes from the form's data attributes (translated in the
// template). Pressing again is safe: the form keeps its one-use token, and the server answers a
// resend with what the first one recorded. Without JavaScript the form posts as it always did.
(function () {
  "use strict";

  var TIMEOUT_MS = 30000;

  function bannerFor(form) {
    var banner = form.querySelector("[data-safe-submit-banner]");
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "alert alert-danger";
      banner.setAttribute("role", "alert");
      banner.setAttribute("data-safe-submit-banner", "");
      banner.setAttribute("data-testid", "safe-submit-banner");
      form.insertBefore(banner, form.firstChild);
    }
    return banner;
  }

  // What a failed answer means, in the form's own words.
  function failureText(form, status) {
    if (status === 503) return form.dataset.unavailable;
    if (status && status !== 502 && status !== 504) return form.dataset.failed;
    // No answer, a timeout, or a proxy that lost the server's answer (502, 504): the server
    // may have recorded it.
    return form.dataset.unsure;
  }

  // The server's answer becomes the page, as a plain post would have made it. Written rather
  // than fetched again: the page already shown once its one-time messages ("Payment received",
  // "already recorded; here is its receipt"). Its scripts run again in this window; ours are
  // written to allow that (no top-level let/const).
  function showPage(html, url) {
    if (url && url !== window.location.href) {
      window.history.replaceState(null, "", url);
    }
    document.open();
    document.write(html);
    document.close();
    window.scrollTo(0, 0);
  }

  function send(form, submitter) {
    var button = submitter || form.querySelector("[type=submit]");
    var label = button ? button.textContent : "";
    var banner = form.querySelector("[data-safe-submit-banner]");
    if (banner) banner.remove();
    form.safeSubmitSending = true;
    if (button) {
      button.disabled = true;
      button.textContent = form.dataset.sendingLabel;
    }

    function fail(status) {
      form.safeSubmitSending = false;
      if (button) {
        button.disabled = false;
        button.textContent = label;
      }
      bannerFor(form).textContent = failureText(form, status);
      if (button) button.focus();
    }

    var data;
    try {
      data = new FormData(form, submitter || undefined);
    } catch (error) {
      data = new FormData(form); // a browser without the submitter argument
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    var body = form.enctype === "multipart/form-data" ? data : new URLSearchParams(data);
    var controller = new AbortController();
    var timer = window.setTimeout(function () {
      controller.abort();
    }, Number(form.dataset.timeoutMs) || TIMEOUT_MS);

    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "follow",
      signal: controller.signal,
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        // Not redirected and 5xx: the post itself failed. Redirected: the post was answered
        // (recorded, or already recorded) and this is the page it sent the browser to.
        if (response.status >= 500 && !response.redirected) {
          window.clearTimeout(timer);
          fail(response.status);
          return;
        }
        return response.text().then(
          function (html) {
            window.clearTimeout(timer);
            showPage(html, response.url);
          },
          function () {
            window.clearTimeout(timer);
            if (response.redirected) {
              // Answered, but its page did not arrive whole: open it again.
              window.location.assign(response.url);
            } else {
              fail(0);
            }
          }
        );
      })
      .catch(function () {
        window.clearTimeout(timer);
        fail(0);
      });
  }

  function enhance(form) {
    if (form.safeSubmitReady) return;
    form.safeSubmitReady = true;
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      event.preventDefault();
      if (form.safeSubmitSending) return; // already on its way: a second press waits for it
      send(form, event.submitter);
    });
  }

  // Loaded at the end of the page, after its forms.
  document.querySelectorAll("form[data-safe-submit]").forEach(enhance);
})();
