// The till's service worker (served at /till/sw.js, scope /till/): it keeps the till page, its
// static files and the price list in the browser, so a cashier can open the till and sell cash
// and M-Pesa while the link is down. Sales themselves are kept by the page (till_queue.js), and
// every POST goes to the network: nothing that records money is ever answered from a cache.
"use strict";

var CACHE = "duka-till-v1";
var TILL = new URL("./", self.registration.scope).pathname; // "/till/"
var PRODUCTS = TILL + "products.json";
var STATIC = /^\/static\//;
// A link this slow is as good as none: the copy kept here opens the till instead.
var PAGE_TIMEOUT_MS = 8000;

function usable(response) {
  // Not the login page a finished session redirects to, nor an error page.
  return response && response.ok && !response.redirected && response.type === "basic";
}

function assetsOf(html) {
  var found = [];
  var pattern = /(?:src|href)="(\/static\/[^"]+)"/g;
  var match;
  while ((match = pattern.exec(html))) {
    found.push(match[1].replace(/&amp;/g, "&"));
  }
  return found;
}

// The till page and everything it loads, kept together.
function keepPage(cache, response) {
  return response
    .clone()
    .text()
    .then(function (html) {
      return cache.put(TILL, response.clone()).then(function () {
        return Promise.all(
          assetsOf(html).map(function (url) {
            return cache.match(url).then(function (kept) {
              return kept || cache.add(url).catch(function () {});
            });
          })
        );
      });
    });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) {
        // The price list is kept when the page asks for it through this worker (till.js).
        return fetch(TILL, { credentials: "same-origin" }).then(function (response) {
          if (usable(response)) return keepPage(cache, response);
        });
      })
      .catch(function () {})
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name !== CACHE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function withTimeout(promise, milliseconds) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () {
      reject(new Error("timeout"));
    }, milliseconds);
    promise.then(
      function (value) {
        clearTimeout(timer);
        resolve(value);
      },
      function (error) {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

// The network's answer when there is one (and keep it); the kept copy when there is not.
function networkFirst(event, key, timeout) {
  var fromNetwork = fetch(event.request).then(function (response) {
    if (usable(response)) {
      var copy = response.clone();
      event.waitUntil(
        caches.open(CACHE).then(function (cache) {
          return key === TILL ? keepPage(cache, copy) : cache.put(key, copy);
        })
      );
    }
    return response;
  });
  return caches.match(key).then(function (kept) {
    var wait = kept && timeout ? withTimeout(fromNetwork, timeout) : fromNetwork;
    return wait.catch(function (error) {
      if (kept) return kept;
      throw error;
    });
  });
}

// Static files have versioned names in production: the kept copy at once, refreshed behind.
function keptThenRefreshed(event) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(event.request).then(function (kept) {
      var refresh = fetch(event.request).then(function (response) {
        if (response && response.ok) cache.put(event.request, response.clone());
        return response;
      });
      if (kept) {
        event.waitUntil(refresh.catch(function () {}));
        return kept;
      }
      return refresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === TILL && request.mode === "navigate" && !url.search) {
    event.respondWith(networkFirst(event, TILL, PAGE_TIMEOUT_MS));
  } else if (url.pathname === PRODUCTS) {
    event.respondWith(networkFirst(event, PRODUCTS, 0));
  } else if (STATIC.test(url.pathname)) {
    event.respondWith(keptThenRefreshed(event));
  }
});
