/* The consignor portal at the registry (registry/portal.py, templates/registry/portal.html).
 *
 * The registry stores the consignor's snapshot sealed by the hub (consignment/portal.py): AES-256-GCM,
 * blob = nonce (12 bytes) || ciphertext || tag, associated data "resale-pos portal v1 " + the lookup id.
 * The key is only in the link's fragment (#k=<base64url>), which the browser never sends to the registry.
 * This script takes it, fetches the blob, decrypts it with WebCrypto (SubtleCrypto) and fills the page with
 * textContent only. Every failure (no key, wrong key, altered bytes, unreadable content, no network) ends in
 * one of the page's own messages, in the page's language — never a script error.
 */
(function () {
  "use strict";

  var AAD_PREFIX = "resale-pos portal v1 ";

  function show(root, name) {
    var all = root.querySelectorAll("[data-message]");
    for (var i = 0; i < all.length; i++) {
      all[i].hidden = all[i].getAttribute("data-message") !== name;
    }
  }

  function keyFromFragment() {
    var hash = (window.location.hash || "").replace(/^#/, "");
    var params = new URLSearchParams(hash);
    var text = params.get("k") || "";
    if (!/^[A-Za-z0-9_-]{43}$/.test(text)) {
      return text ? "bad" : null;
    }
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=";
    var raw = window.atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.length === 32 ? bytes : "bad";
  }

  function fill(template, name, value) {
    return String(template).split("{" + name + "}").join(value);
  }

  function money(fen, currency, locale) {
    if (typeof fen !== "number" || !isFinite(fen) || Math.floor(fen) !== fen) throw new Error("amount");
    var number = new Intl.NumberFormat(locale, {minimumFractionDigits: 2, maximumFractionDigits: 2})
      .format(Math.abs(fen) / 100);
    var sign = fen < 0 ? "-" : "";
    return sign + (currency === "CNY" ? "¥" : currency + " ") + number;
  }

  function text(value) {
    if (typeof value !== "string") throw new Error("text");
    return value;
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function row(title, tag, price, meta, status, labels) {
    var li = el("li");
    var head = el("span", "title", title);
    if (status) {
      var badge = el("span", "status " + status, labels["status" + status.charAt(0).toUpperCase() + status.slice(1)] || status);
      head.appendChild(badge);
    }
    li.appendChild(head);
    li.appendChild(el("span", "price", price));
    var line = el("span", "meta");
    line.appendChild(el("span", "tag-code", tag));
    if (meta) line.appendChild(document.createTextNode(" · " + meta));
    li.appendChild(line);
    return li;
  }

  function fillList(list, nodes, emptyText) {
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!nodes.length) {
      list.appendChild(el("li", "empty", emptyText));
      return;
    }
    nodes.forEach(function (node) { list.appendChild(node); });
  }

  function render(root, view, data) {
    if (!data || data.v !== 1 || !Array.isArray(data.items) || !Array.isArray(data.sold)) throw new Error("shape");
    var labels = view.dataset;
    var locale = root.getAttribute("data-locale") || "zh-CN";
    var currency = /^[A-Z]{3}$/.test(data.currency) ? data.currency : "CNY";
    var fmt = function (fen) { return money(fen, currency, locale); };
    view.querySelector("[data-field=heading]").textContent = fill(labels.heading, "shop", text(data.shop));
    view.querySelector("[data-field=as-of]").textContent = fill(labels.asOf, "date",
      new Date(text(data.as_of)).toLocaleString(locale));
    view.querySelector("[data-field=balance]").textContent = fmt(data.balance_fen);
    view.querySelector("[data-field=pending]").textContent = fmt(data.pending_fen);
    var items = [], coming = [], sold = [];
    data.items.forEach(function (item) {
      items.push(row(text(item.title), text(item.tag), fmt(item.price_fen),
        fill(labels.takenIn, "date", text(item.taken_in)), text(item.status), labels));
      (Array.isArray(item.coming) ? item.coming : []).forEach(function (step) {
        coming.push(row(text(item.title), text(item.tag), fmt(step.price_fen), fill(labels.from, "date", text(step.on))));
      });
    });
    data.sold.forEach(function (line) {
      var meta = fill(labels.soldOn, "date", text(line.sold_on)) + " · " + fill(labels.share, "amount", fmt(line.share_fen)) +
        (line.refunded ? " · " + labels.refunded : "");
      sold.push(row(text(line.title), text(line.tag), fmt(line.price_fen), meta, null, labels));
    });
    fillList(view.querySelector("[data-list=items]"), items, labels.none);
    fillList(view.querySelector("[data-list=coming]"), coming, labels.none);
    fillList(view.querySelector("[data-list=sold]"), sold, labels.none);
  }

  function start() {
    var root = document.getElementById("portal");
    if (!root) return;
    var view = document.getElementById("view");
    var switcher = document.getElementById("lang-switch");
    if (switcher && window.location.hash) {  // the language switch keeps the key
      switcher.setAttribute("href", switcher.getAttribute("href") + window.location.hash);
    }
    var state = root.getAttribute("data-state");
    if (state !== "ok") {
      show(root, state === "gone" ? "gone" : "missing");
      return;
    }
    var key;
    try { key = keyFromFragment(); } catch (e) { key = "bad"; }
    if (key === null) { show(root, "nokey"); return; }
    if (key === "bad") { show(root, "badkey"); return; }
    if (!window.crypto || !window.crypto.subtle || !window.fetch || !window.TextEncoder) {
      show(root, "insecure");
      return;
    }
    var lookup = root.getAttribute("data-lookup");
    var failedAs = "offline";
    window.fetch(root.getAttribute("data-blob"), {cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer"})
      .then(function (response) {
        if (response.status === 410) { failedAs = "gone"; throw new Error("gone"); }
        if (response.status === 404) { failedAs = "missing"; throw new Error("missing"); }
        if (!response.ok) throw new Error("status");
        return response.arrayBuffer();
      })
      .then(function (buffer) {
        failedAs = "badkey";
        var blob = new Uint8Array(buffer);
        if (blob.length < 28) throw new Error("short");
        return window.crypto.subtle.importKey("raw", key, {name: "AES-GCM"}, false, ["decrypt"]).then(function (cryptoKey) {
          return window.crypto.subtle.decrypt(
            {name: "AES-GCM", iv: blob.slice(0, 12), additionalData: new TextEncoder().encode(AAD_PREFIX + lookup)},
            cryptoKey, blob.slice(12));
        });
      })
      .then(function (plain) {
        render(root, view, JSON.parse(new TextDecoder("utf-8", {fatal: true}).decode(plain)));
        show(root, null);
        view.hidden = false;
      })
      .catch(function () {
        view.hidden = true;
        show(root, failedAs);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
