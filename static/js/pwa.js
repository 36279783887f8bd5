// The installable app: remember the page's language for the offline page (offline.js), and register the
// service worker (GET /sw.js, the script static/js/sw.js) where the browser allows one: a secure context,
// i.e. the hub's own tablet on localhost, or HTTPS. The worker keeps only the app shell (CSS, JS, icons and
// the offline page) and never a page.
(function () {
  try { localStorage.setItem("resale-lang", document.documentElement.lang || ""); } catch (e) { /* private mode */ }
  var script = document.currentScript;
  var url = script && script.getAttribute("data-sw");
  if (!url || !("serviceWorker" in navigator) || !window.isSecureContext) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, {scope: script.getAttribute("data-scope") || "/"}).catch(function () {
      // no worker (blocked, private mode): the app works the same, without the offline page
    });
  });
})();
