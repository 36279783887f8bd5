// The pages' small behaviours, declared in the HTML with data- attributes and run from here by event
// delegation. The Content-Security-Policy allows scripts only from the hub's own files (core/security.py):
// no inline <script>, no onclick=/onsubmit=/onchange=, no hx-on, no eval. Everything still works without
// JavaScript, only less conveniently (every printer field shown, forms submitted with their button).
//
//   data-print                         button: print the page
//   data-confirm="question"            form (on submit) or button (on click): ask first, stop on "Cancel"
//   data-submit-once                   submit button: disabled once its form is on its way (no double payout)
//   data-autosubmit                    field: submit its form when it changes
//   data-set-field="name" data-set-value="v"   field: on change, set the form's field `name` to `v`
//   data-check-all="selector"          checkbox: tick or untick every checkbox matching `selector`
//   data-collect="#input" data-collect-from="selector"   button: put the values of the checked boxes
//                                      matching `selector`, comma-separated, into #input before submitting
//   data-pin-key="7" / "back"          PIN pad key: type into #pin (at most 8 digits) or delete the last one
//   data-conn-select="selector"        select: show only the elements matching `selector` whose data-conn
//                                      is the chosen value (the printer form's connection fields)
//   data-signature-pad="#input"        canvas: draw with a finger; the form's submit puts a PNG data URL
//                                      into #input; a [data-signature-clear] button in the form (or in its
//                                      closest [data-signature-group]) clears it;
//                                      a value already in #input (kept from a refused submit, shown by
//                                      [data-signature-kept]) stays until the pad is drawn on or cleared
//   data-theme-switch                  button: screen auto (the device's setting) → dark → light → high
//                                      contrast (outdoors), kept per device; its data-label-auto / -dark /
//                                      -light / -contrast texts become its label
//   data-progress="url"                form: while it is being sent, ask `url` (JSON: phase, line, done, total)
//                                      every half second and write it into the form's [data-progress-text]
//                                      with its data-checking / data-importing / data-done / data-waiting texts
//   data-menu-toggle                   button (phones): show or hide the top bar's element named by its
//                                      aria-controls (badges, screen, language, log out); aria-expanded follows
//   data-scroll-strip                  a row that scrolls sideways (the phone's navigation): gets the classes
//                                      can-left / can-right while there is more to see that way (a fade shows
//                                      it), and scrolls its .active link into view
//   data-pay-toggle                    button (the till on a phone): open or fold the pay bar (class pay-open
//                                      on its .pay-panel); aria-expanded follows
(function () {
  function closest(evt, selector) {
    return evt.target && evt.target.closest ? evt.target.closest(selector) : null;
  }

  // Questions first, in the capture phase, so a "Cancel" stops htmx and the browser alike.
  document.addEventListener("click", function (evt) {
    var asking = closest(evt, "button[data-confirm], input[data-confirm], a[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.hasAttribute && form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (evt) {
    if (evt.defaultPrevented) return;
    if (closest(evt, "[data-print]")) { window.print(); return; }
    var all = closest(evt, "input[data-check-all]");
    if (all) {
      document.querySelectorAll(all.getAttribute("data-check-all")).forEach(function (box) {
        if (box !== all) box.checked = all.checked;
      });
      return;
    }
    var collect = closest(evt, "[data-collect]");
    if (collect) {
      var target = document.querySelector(collect.getAttribute("data-collect"));
      var picked = Array.from(document.querySelectorAll(collect.getAttribute("data-collect-from")));
      if (target) target.value = picked.map(function (box) { return box.value; }).join(",");
      return;
    }
    var key = closest(evt, "[data-pin-key]");
    if (key) {
      var pin = document.getElementById("pin");
      if (!pin) return;
      var value = key.getAttribute("data-pin-key");
      pin.value = value === "back" ? pin.value.slice(0, -1) : (pin.value + value).slice(0, 8);
    }
  });

  document.addEventListener("submit", function (evt) {
    if (evt.defaultPrevented) return;
    var buttons = evt.target.querySelectorAll ? evt.target.querySelectorAll("[data-submit-once]") : [];
    // after this event: the form's data is taken with the buttons still enabled
    setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });

  document.addEventListener("change", function (evt) {
    var field = evt.target;
    if (!field || !field.form) return;
    if (field.hasAttribute("data-set-field")) {
      var other = field.form.elements[field.getAttribute("data-set-field")];
      if (other) other.value = field.getAttribute("data-set-value");
    }
    if (field.hasAttribute("data-autosubmit")) {
      if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
    }
  });

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (_m, name) {
      return values[name] === undefined || values[name] === null ? "" : String(values[name]);
    });
  }
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (evt.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-progress")) return;
    var out = form.querySelector("[data-progress-text]");
    if (!out) return;
    out.hidden = false;
    out.textContent = out.getAttribute("data-waiting");
    var url = form.getAttribute("data-progress");
    var timer = setInterval(function () {
      fetch(url, {credentials: "same-origin", headers: {"X-Resale-Background": "1"}}).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (p) {
        if (!p || !p.phase) return;
        var text = out.getAttribute("data-" + p.phase);
        if (text) out.textContent = fill(text, p);
        if (p.phase === "done" || p.phase === "refused") clearInterval(timer);
      }).catch(function () {});
    }, 500);
  });

  var THEMES = ["auto", "dark", "light", "contrast"];
  function storedTheme() {
    try { return localStorage.getItem("resale-theme") || "auto"; } catch (e) { return "auto"; }
  }
  function applyTheme(theme) {
    var root = document.documentElement;
    if (THEMES.indexOf(theme) > 0) root.setAttribute("data-theme", theme);
    else root.removeAttribute("data-theme");
    document.querySelectorAll("[data-theme-switch]").forEach(function (button) {
      var label = button.getAttribute("data-label-" + theme) || button.title;
      button.title = label;
      button.setAttribute("aria-label", label);
      button.setAttribute("data-theme-now", theme);
    });
  }
  applyTheme(storedTheme());
  document.addEventListener("click", function (evt) {
    var button = closest(evt, "[data-theme-switch]");
    if (!button) return;
    var next = THEMES[(THEMES.indexOf(storedTheme()) + 1) % THEMES.length];
    try { localStorage.setItem("resale-theme", next); } catch (e) { /* private mode: this page only */ }
    applyTheme(next);
  });

  function showConnection(select) {
    document.querySelectorAll(select.getAttribute("data-conn-select")).forEach(function (el) {
      el.hidden = el.getAttribute("data-conn") !== select.value;
    });
  }
  document.addEventListener("change", function (evt) {
    if (evt.target && evt.target.hasAttribute && evt.target.hasAttribute("data-conn-select")) showConnection(evt.target);
  });

  function signaturePad(canvas) {
    var ctx = canvas.getContext("2d"), drawn = false, last = null;
    ctx.lineWidth = 5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function pos(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (e) { canvas.setPointerCapture(e.pointerId); last = pos(e); });
    canvas.addEventListener("pointermove", function (e) {
      if (!last) return;
      var p = pos(e);
      ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
      last = p; drawn = true;
    });
    var input = document.querySelector(canvas.getAttribute("data-signature-pad"));
    // a signature kept from a refused submit ([data-signature-kept]) stays until the pad is drawn on or cleared
    var touched = !(input && input.value);
    function store() {  // after each stroke too: an htmx form reads its values before a submit listener runs
      if (input && touched) input.value = drawn ? canvas.toDataURL("image/png") : "";
    }
    canvas.addEventListener("pointerup", function () { last = null; touched = true; store(); });
    var form = canvas.closest("form");
    if (!form) return;
    // a form with two pads (a buy-in's privacy notice and a car's disclosures) groups each with its buttons
    var group = canvas.closest("[data-signature-group]") || form;
    group.querySelectorAll("[data-signature-clear]").forEach(function (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; touched = true; store();
        canvas.hidden = false;
        group.querySelectorAll("[data-signature-kept]").forEach(function (el) { el.hidden = true; });
        group.querySelectorAll("[data-signature-tools]").forEach(function (el) { el.hidden = false; });
      });
    });
    form.addEventListener("submit", store);
  }

  // Phones: the top bar's menu and the till's pay bar open and fold on a tap.
  document.addEventListener("click", function (evt) {
    var menu = closest(evt, "[data-menu-toggle]");
    if (menu) {
      var target = document.getElementById(menu.getAttribute("aria-controls"));
      var open = menu.getAttribute("aria-expanded") !== "true";
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      if (target) target.classList.toggle("menu-open", open);
      return;
    }
    var pay = closest(evt, "[data-pay-toggle]");
    if (pay) {
      var panel = pay.closest(".pay-panel");
      var opened = !(panel && panel.classList.contains("pay-open"));
      if (panel) panel.classList.toggle("pay-open", opened);
      pay.setAttribute("aria-expanded", opened ? "true" : "false");
    }
  });

  // A sideways strip says where more of it is (can-left / can-right) and shows its active link.
  function markStrip(strip) {
    var max = strip.scrollWidth - strip.clientWidth;
    strip.classList.toggle("can-left", strip.scrollLeft > 2);
    strip.classList.toggle("can-right", max - strip.scrollLeft > 2);
  }
  function scrollStrip(strip) {
    var active = strip.querySelector(".active");
    if (active && strip.scrollWidth > strip.clientWidth) {
      var a = active.getBoundingClientRect(), s = strip.getBoundingClientRect();
      strip.scrollLeft += a.left - s.left - (s.width - a.width) / 2;
    }
    markStrip(strip);
    strip.addEventListener("scroll", function () { markStrip(strip); }, {passive: true});
    window.addEventListener("resize", function () { markStrip(strip); });
  }

  // Set up what needs it, on the first page and on whatever htmx swaps in later (once per element).
  function setUp(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("select[data-conn-select]").forEach(function (select) { showConnection(select); });
    root.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
      if (canvas.hasAttribute("data-ready")) return;
      canvas.setAttribute("data-ready", "");
      signaturePad(canvas);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
    applyTheme(storedTheme());
    document.querySelectorAll("[data-scroll-strip]").forEach(scrollStrip);
  });
  document.addEventListener("htmx:load", function (evt) { setUp(evt.target); });
})();
