/* Tiếp Dân's service worker (scope /chat): the page opens offline from its last copy, and an official's
 * question or answer shows as a notification with the page closed (Web Push). */
"use strict";
var SHELL = "tiepdan-shell-v1";
var FILES = ["/chat", "/static/site.css", "/static/chat.js", "/static/icon-192.png", "/static/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(FILES); })
    .then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});
// Network first, so a new version shows at once; the cached copy only when the network fails.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  var shell = request.mode === "navigate" && url.pathname === "/chat";
  if (!shell && FILES.indexOf(url.pathname) < 0) { return; }
  var key = shell ? "/chat" : url.pathname;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (hit) { return hit || Response.error(); });
  }));
});
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Tiếp Dân", {
    body: data.body || "", icon: "/static/icon-192.png", badge: "/static/icon-192.png",
    tag: "tiepdan-answer", renotify: true, data: { url: data.url || "/chat" }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/chat";
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (new URL(windows[i].url).pathname === "/chat") { return windows[i].focus(); }
    }
    return self.clients.openWindow(target);
  }));
});
