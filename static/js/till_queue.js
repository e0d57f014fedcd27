// Sales kept on this device until the shop's server has them: an IndexedDB store keyed by the
// till token, so a sale sold offline survives a closed tab or a restarted phone, and sending it
// twice (two tabs, a lost answer) records it once: the server knows the token.
(function () {
  "use strict";

  var DATABASE = "duka-till";
  var STORE = "sales";
  var VERSION = 1;

  function openDatabase() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DATABASE, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "till_token" });
        }
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  // One transaction: `work(store)` may return an IDBRequest whose result is the answer.
  function withStore(mode, work) {
    return openDatabase().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () {
          db.close();
          resolve(request ? request.result : undefined);
        };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function all() {
    return withStore("readonly", function (store) {
      return store.getAll();
    }).then(function (entries) {
      // Sent in the order they were sold.
      return entries.sort(function (a, b) {
        return a.queued_at - b.queued_at;
      });
    });
  }

  function put(entry) {
    return withStore("readwrite", function (store) {
      return store.put(entry);
    });
  }

  function get(token) {
    return withStore("readonly", function (store) {
      return store.get(token);
    });
  }

  function remove(token) {
    return withStore("readwrite", function (store) {
      return store.delete(token);
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // What became of one sale sent to the server: "recorded", "refused", or why sending must stop
  // for now ("offline", "unavailable", "logged_out"), with the server's words when it gave any.
  function sendOne(url, entry) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "XMLHttpRequest",
      },
      body: JSON.stringify(entry.payload),
    }).then(
      function (response) {
        if (response.redirected && /\/login\//.test(response.url)) {
          return { outcome: "logged_out" };
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (answer) {
            if (response.ok && (answer.status === "recorded" || answer.status === "already_recorded")) {
              return { outcome: "recorded", answer: answer };
            }
            if (answer.status === "refused") {
              return { outcome: "refused", answer: answer };
            }
            if (response.status === 403) {
              return { outcome: "logged_out", answer: answer };
            }
            return { outcome: "unavailable", status: response.status, answer: answer };
          });
      },
      function () {
        return { outcome: "offline" };
      }
    );
  }

  var sending = null;

  // Send every waiting sale of this cashier's, oldest first, one at a time; stop at the first
  // that cannot be sent now (the link, the server or the login), so the order is kept.
  // `onChange` hears each step. Another cashier's sales wait for their own login.
  function sendWaiting(url, cashierId, onChange) {
    if (sending) {
      return sending;
    }
    var result = { recorded: 0, refused: 0, stopped: null };
    sending = all()
      .then(function (entries) {
        var waiting = entries.filter(function (entry) {
          return entry.status === "waiting" && entry.cashier_id === cashierId;
        });
        return waiting.reduce(function (previous, entry) {
          return previous.then(function () {
            if (result.stopped) {
              return;
            }
            return sendOne(url, entry).then(function (sent) {
              if (sent.outcome === "recorded" || sent.outcome === "refused") {
                entry.status = sent.outcome;
                entry.message = sent.answer.message || "";
                entry.receipt_number = sent.answer.receipt_number || null;
                entry.receipt_url = sent.answer.receipt_url || null;
                entry.answered_at = Date.now();
                result[sent.outcome] += 1;
                return put(entry).then(function () {
                  if (onChange) onChange(entry);
                });
              }
              result.stopped = sent;
            });
          });
        }, Promise.resolve());
      })
      .then(
        function () {
          sending = null;
          return result;
        },
        function (error) {
          sending = null;
          throw error;
        }
      );
    return sending;
  }

  window.TillQueue = {
    all: all,
    put: put,
    get: get,
    remove: remove,
    sendWaiting: sendWaiting,
    csrfToken: csrfToken,
  };
})();
