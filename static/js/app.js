// Small glue for htmx: say clearly when the network or the hub failed, so nobody thinks an action
// was saved when it was not. Everything else is server-rendered.
(function () {
  function toast(text, kind) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.className = "show " + (kind || "error");
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.textContent = ""; el.className = ""; }, 6000);
  }
  window.resaleToast = toast;
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  // A form marked data-lost-answer (the till's pay form) finds out itself whether it was saved
  // (static/js/sale_check.js): "nothing was saved" could be wrong there.
  function checksItself(evt) {
    var elt = evt.detail && evt.detail.elt;
    return !!(elt && elt.closest && elt.closest("[data-lost-answer]"));
  }
  document.addEventListener("htmx:sendError", function (evt) {
    if (checksItself(evt)) return;
    toast(zh ? "连接中断：操作未保存，请重试。" : "Connection lost: nothing was saved. Try again.");
  });
  document.addEventListener("htmx:timeout", function (evt) {
    if (checksItself(evt)) return;
    toast(zh ? "服务器无响应：操作可能未保存，请检查后重试。" : "The hub did not answer in time. Check, then try again.");
  });
  document.addEventListener("htmx:responseError", function (evt) {
    if (checksItself(evt)) return;
    toast(zh ? "出错了：操作未保存，请重试。" : "Something went wrong: nothing was saved. Try again.");
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "toast") {
      var el = evt.detail.target;
      el.className = "show error";
      clearTimeout(el._timer);
      el._timer = setTimeout(function () { el.textContent = ""; el.className = ""; }, 6000);
    }
  });
  // The scan field. A keyboard-wedge scanner types a code and Enter, sometimes two Enters, and a vendor may
  // scan the next item before the hub has answered. Each swap replaces the scan form, and htmx drops a
  // request queued on a form that left the page, so scans arriving that fast were lost. Codes therefore go
  // into one queue here and are posted one after another; the field is emptied at once, and an empty field
  // never posts (a scanner's second Enter). The hub answers a scan with the till's parts that changed, swapped
  // out of band (HX-Reswap: none, pos.views.scan); the target and select below are for a whole-till answer.
  var scanQueue = [];
  var scanBusy = false;
  function nextScan() {
    var form = document.getElementById("scan-form");
    if (scanBusy || !scanQueue.length) return;
    if (!form || !window.htmx) { scanQueue = []; return; }
    scanBusy = true;
    var done = function () { scanBusy = false; nextScan(); };
    htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form, target: "#till", swap: "outerHTML", select: "#till", values: {code: scanQueue.shift()}
    }).then(done, done);
  }
  document.addEventListener("submit", function (evt) {
    var scan = evt.target.querySelector && evt.target.querySelector("#scan");
    if (!scan) return;
    evt.preventDefault();
    evt.stopImmediatePropagation();
    var code = scan.value.trim();
    scan.value = "";
    if (code) { scanQueue.push(code); nextScan(); }
  }, true);
  // A form that comes back with errors puts the cursor in the first wrong field, text selected, so the
  // fix is typed straight over it (the server kept what was typed).
  function focusFirstError(root) {
    var bad = root && root.querySelector && root.querySelector(
      ".has-error input:not([type=radio]):not([type=checkbox]):not([type=file]), .has-error select, .has-error textarea");
    if (!bad) return false;
    bad.focus();
    if (bad.select) bad.select();
    return true;
  }
  document.addEventListener("htmx:afterSettle", function (evt) {
    // after htmx has restored the focus of the swapped form (it puts the caret back where it was)
    // (an outerHTML swap detaches the old target: look its replacement up by id)
    var target = evt.detail.target;
    if (target && !target.isConnected) target = target.id ? document.getElementById(target.id) : null;
    setTimeout(function () { focusFirstError(target); }, 0);
  });
  document.addEventListener("DOMContentLoaded", function () { focusFirstError(document.querySelector("main")); });
  // The top bar's height, for what sticks under it (the till's pay panel): --topbar-h on <html>.
  function topbarHeight() {
    var bar = document.querySelector(".topbar");
    if (bar) document.documentElement.style.setProperty("--topbar-h", bar.getBoundingClientRect().height + "px");
  }
  document.addEventListener("DOMContentLoaded", function () {
    topbarHeight();
    var bar = document.querySelector(".topbar");
    if (bar && window.ResizeObserver) new ResizeObserver(topbarHeight).observe(bar);
  });
  // Shortcuts for a till with a keyboard (a wedge scanner is one): F2 cash, the exact amount; F4 WeChat Pay;
  // F3 Alipay; Esc closes the payment-code screen, else empties the scan field and puts the cursor in it.
  // Each key presses the button the screen shows (the same request as a tap); where it is missing, the key
  // does what the browser does with it.
  var SHORTCUTS = {F2: "#pay-form .quick button[name=quick_cash]", F4: "#pay-wechat", F3: "#pay-alipay"};
  document.addEventListener("keydown", function (evt) {
    if (!document.getElementById("till") || evt.altKey || evt.ctrlKey || evt.metaKey) return;
    if (SHORTCUTS[evt.key]) {
      var button = document.querySelector(SHORTCUTS[evt.key]);
      if (button && !button.disabled) { evt.preventDefault(); button.click(); }
      return;
    }
    if (evt.key !== "Escape") return;
    var back = document.getElementById("pay-back");
    if (back) { evt.preventDefault(); back.click(); return; }
    var scan = document.getElementById("scan");
    if (scan) { evt.preventDefault(); scan.value = ""; scan.focus(); }
  });
  // Keep the scan field focused at the till so a scanner can fire at any time.
  document.addEventListener("htmx:afterSettle", function () {
    var scan = document.getElementById("scan");
    if (scan && !document.querySelector("dialog[open]") && document.activeElement.tagName !== "INPUT") scan.focus();
  });
})();
