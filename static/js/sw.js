// The service worker of the installable app (served as GET /sw.js by core.views.service_worker, which puts
// self.RESALE_SHELL = {shell: [urls], offline: url, version} in front of this file).
//
// It caches the app shell only — stylesheets, scripts, icons and the offline page — and never any other
// page or answer of the hub: tills, items, receipts and consignors carry personal data and the shop's state,
// which must come from the hub every time. A page that cannot be loaded (the Wi-Fi dropped, the hub is off)
// shows the cached offline page instead of the browser's error; everything else goes to the network as if
// there were no worker.
var SHELL = self.RESALE_SHELL;
var CACHE = "resale-shell-" + SHELL.version;
var SHELL_PATHS = new Set(SHELL.shell.map(function (url) { return new URL(url, self.location.href).href; }));

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // without the session cookie: nothing cached can be anyone's
    return cache.addAll(SHELL.shell.map(function (url) {
      return new Request(url, {credentials: "omit", cache: "reload"});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key !== CACHE; }).map(function (key) {
      return caches.delete(key);
    }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(SHELL.offline); }).then(function (page) {
        return page || Response.error();
      });
    }));
    return;
  }
  if (SHELL_PATHS.has(request.url)) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request, {ignoreVary: true}).then(function (hit) { return hit || fetch(request); });
    }));
  }
});
