// A lost answer to "complete sale" (issue 9 §12). The Wi-Fi drops, the hub restarts, the request times out or
// a proxy answers 5xx: the sale may have been saved all the same, so the till never guesses "nothing was
// saved". It asks the hub about the sale's key (the pay form's data-check-url, GET /sales/by-key/<key>):
//   200 + X-Resale-Sale  the sale was saved: the till shows it (receipt number, change) as if the answer came;
//   404                  the hub definitely has no such sale: "not saved, try again" (same key, so a retry
//                        that races a late first attempt still sells once);
//   202, 5xx, no answer  cannot tell yet: says so and asks again (1 s, 2 s, 4 s, then every 8 s) until the hub
//                        answers or the till moves on.
// The messages come translated from the form (data-msg-checking, data-msg-not-saved).
(function () {
  var pending = null; // the check under way: {url, delay, timer}

  function say(text, kind) {
    var el = document.getElementById("sale-check");
    if (!el) return;
    el.textContent = text;
    el.className = "message " + kind;
    el.hidden = false;
  }

  function formFor(url) {
    var form = document.querySelector("form[data-lost-answer]");
    return form && form.getAttribute("data-check-url") === url ? form : null;
  }

  function again(check, form) {
    say(form.getAttribute("data-msg-checking"), "info");
    clearTimeout(check.timer);
    check.timer = setTimeout(function () { run(check); }, check.delay);
    check.delay = Math.min(check.delay * 2, 8000);
  }

  function run(check) {
    if (pending !== check) return;
    var form = formFor(check.url);
    if (!form) { pending = null; return; } // the till moved on (next sale, another page)
    fetch(check.url, {headers: {"HX-Request": "true"}, credentials: "same-origin", cache: "no-store"}).then(
      function (response) {
        if (pending !== check) return;
        if (response.status === 200 && response.headers.get("X-Resale-Sale")) {
          return response.text().then(function (html) {
            if (pending !== check) return;
            pending = null;
            htmx.swap("#till", html, {swapStyle: "outerHTML"}, {select: "#till"});
          });
        }
        if (response.status === 404) {
          pending = null;
          say(form.getAttribute("data-msg-not-saved"), "error");
          return;
        }
        again(check, form); // 202 (still being saved), a login page, a 5xx: cannot tell yet
      },
      function () {
        if (pending === check) again(check, form); // the hub is unreachable
      });
  }

  function lost(evt) {
    var elt = evt.detail && evt.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-lost-answer]") : null;
    if (!form) return;
    // a 4xx is the hub's own answer (shown in the till); only 5xx leaves the outcome open
    if (evt.type === "htmx:responseError" && evt.detail.xhr && evt.detail.xhr.status < 500) return;
    if (pending) clearTimeout(pending.timer);
    pending = {url: form.getAttribute("data-check-url"), delay: 1000, timer: null};
    say(form.getAttribute("data-msg-checking"), "info");
    run(pending);
  }

  document.addEventListener("htmx:sendError", lost);
  document.addEventListener("htmx:timeout", lost);
  document.addEventListener("htmx:responseError", lost);
  // The cashier tapped again (same key): that request's own outcome decides; the old verdict goes.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!elt || !elt.closest || !elt.closest("form[data-lost-answer]")) return;
    if (pending) clearTimeout(pending.timer);
    pending = null;
    var el = document.getElementById("sale-check");
    if (el) el.hidden = true;
  });
})();
