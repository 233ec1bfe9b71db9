/* SecondRead resumable uploads: the files of one study sent with tus (vendored tus.min.js),
 * a few at a time, in 8 MiB pieces, resuming where a cut connection or a reload stopped.
 *
 * Used by the chat widget and by the upload page. The server side is /api/uploads/resumable
 * (the upload around the files) and /api/tus (each file). What survives a reload lives in
 * localStorage: which upload this selection of files belongs to (by conversation), and
 * tus-js-client's own record of each file's URL. The browser cannot re-read files by itself
 * after a reload, so the patient chooses the same files again and they continue.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.SecondReadResumable = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var CHUNK_SIZE = 8 * 1024 * 1024;
  var PARALLEL = 3;
  // Network errors, 409 (offset moved), 423 (the previous request still running) and 5xx are
  // retried with these delays before the upload pauses and waits for the connection.
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
  var STORE_PREFIX = "secondread.upload.";
  var FINGERPRINT_PREFIX = "secondread/";

  // FNV-1a: a short, stable name for a selection of files (paths, sizes, dates).
  function selectionKey(files) {
    var text = files.map(function (f) {
      return f.path + "\u0000" + f.file.size + "\u0000" + (f.file.lastModified || 0);
    }).join("\u0001");
    var hash = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash.toString(16) + "-" + files.length;
  }

  // Seconds left at the rate seen so far; null until there is a rate worth quoting.
  function secondsLeft(sent, total, elapsedMs) {
    if (sent <= 0 || elapsedMs < 2000 || sent >= total) return null;
    return Math.ceil((total - sent) / (sent / (elapsedMs / 1000)));
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (blocked) {
      return null; // private modes and sandboxed frames: uploads still work, without reloads
    }
  }

  function remembered(conversation) {
    var store = storage();
    if (!store) return null;
    try {
      return JSON.parse(store.getItem(STORE_PREFIX + conversation) || "null");
    } catch (broken) {
      return null;
    }
  }

  function remember(conversation, value) {
    var store = storage();
    if (store) store.setItem(STORE_PREFIX + conversation, JSON.stringify(value));
  }

  function forget(conversation, upload) {
    var store = storage();
    if (!store) return;
    store.removeItem(STORE_PREFIX + conversation);
    if (!upload) return;
    var mine = "tus::" + FINGERPRINT_PREFIX + upload + "/";
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(mine) === 0) store.removeItem(key);
    }
  }

  function request(method, url, token) {
    return fetch(url, {
      method: method,
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = {};
        try { body = JSON.parse(text || "{}"); } catch (notJson) { body = {}; }
        if (!response.ok) {
          var error = new Error(body.message || "");
          error.status = response.status;
          error.code = body.error;
          throw error;
        }
        return body;
      });
    });
  }

  // The server's sentence for a refused tus request (it answers them in plain text).
  function serverMessage(error) {
    var response = error && error.originalResponse;
    if (!response) return "";
    var status = response.getStatus();
    if (status < 400 || status >= 500) return "";
    return String(response.getBody() || "").slice(0, 500);
  }

  /* Send `files` ([{file, path}]) for `o.conversation`. Callbacks on `o`: progress(sent,
   * total, secondsLeft), state("running" | "paused" | "offline"), done(uploadIds),
   * failed(message). Returns {pause, resume, cancel, resumed} (resumed: a reload's upload). */
  function send(files, o) {
    var tus = window.tus;
    var key = selectionKey(files);
    var total = files.reduce(function (sum, f) { return sum + f.file.size; }, 0);
    var saved = remembered(o.conversation);
    var resumed = !!(saved && saved.key === key && saved.upload);
    var sent = files.map(function () { return 0; });
    var stage = files.map(function () { return "waiting"; }); // waiting, active, done
    var uploads = files.map(function () { return null; });
    var paused = false;
    var over = false;
    var uploadId = null;
    var startedAt = Date.now();
    var sentAtStart = null;

    function token() { return typeof o.token === "function" ? o.token() : o.token; }

    function count(name) {
      return stage.filter(function (s) { return s === name; }).length;
    }

    function report() {
      var done = sent.reduce(function (a, b) { return a + b; }, 0);
      if (sentAtStart === null) { sentAtStart = done; startedAt = Date.now(); }
      var left = secondsLeft(done - sentAtStart, total - sentAtStart, Date.now() - startedAt);
      if (o.progress) o.progress(done, total, left);
    }

    // Stop the files in flight; their bytes so far stay on the server.
    function stopActive() {
      stage.forEach(function (s, i) {
        if (s !== "active") return;
        uploads[i].abort(false);
        uploads[i] = null;
        stage[i] = "waiting";
      });
    }

    function fail(message, status) {
      if (over) return;
      over = true;
      stopActive();
      if (resumed && (status === 404 || status === 410)) forget(o.conversation, uploadId);
      if (o.failed) o.failed(message || "");
    }

    function waitForConnection() {
      paused = true;
      stopActive();
      if (o.state) o.state("offline");
      var back = function () {
        window.removeEventListener("online", back);
        if (!over && paused) controller.resume();
      };
      window.addEventListener("online", back);
    }

    function startFile(index) {
      var entry = files[index];
      stage[index] = "active";
      var upload = new tus.Upload(entry.file, {
        endpoint: o.server + "/api/tus",
        chunkSize: CHUNK_SIZE,
        retryDelays: RETRY_DELAYS,
        metadata: { upload: uploadId, filename: entry.file.name, relativePath: entry.path },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        fingerprint: function () {
          return Promise.resolve(FINGERPRINT_PREFIX + uploadId + "/" + encodeURIComponent(
            entry.path) + "/" + entry.file.size + "/" + (entry.file.lastModified || 0));
        },
        onBeforeRequest: function (req) { req.setHeader("Authorization", "Bearer " + token()); },
        onProgress: function (bytes) { sent[index] = bytes; report(); },
        onSuccess: function () {
          if (uploads[index] !== upload) return; // stopped meanwhile
          sent[index] = entry.file.size;
          stage[index] = "done";
          report();
          if (count("done") === files.length) complete();
          else pump();
        },
        onError: function (error) {
          if (over || paused || uploads[index] !== upload) return;
          var message = serverMessage(error);
          if (message) {
            fail(message, error.originalResponse.getStatus());
            return;
          }
          waitForConnection(); // retries ran out: carry on when the browser is back online
        },
      });
      uploads[index] = upload;
      upload.findPreviousUploads().then(function (previous) {
        if (uploads[index] !== upload || paused || over) return;
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    }

    function pump() {
      for (var i = 0; i < files.length && !paused && !over; i++) {
        if (count("active") >= PARALLEL) return;
        if (stage[i] === "waiting") startFile(i);
      }
    }

    function complete() {
      request("POST", o.server + "/api/uploads/resumable/" + uploadId + "/complete", token())
        .then(function (body) {
          over = true;
          forget(o.conversation, uploadId);
          if (o.done) o.done((body.uploads || []).map(function (u) { return u.id; }));
        }, function (error) {
          fail(error.message, error.status);
        });
    }

    var controller = {
      resumed: resumed,
      pause: function () {
        if (over || paused) return;
        paused = true;
        stopActive();
        if (o.state) o.state("paused");
      },
      resume: function () {
        if (over || !paused) return;
        paused = false;
        sentAtStart = null;
        if (o.state) o.state("running");
        pump();
      },
      cancel: function () {
        if (over) return;
        over = true;
        stopActive();
        if (uploadId) {
          request("DELETE", o.server + "/api/uploads/resumable/" + uploadId, token())
            .catch(function () { /* swept by the server when it expires */ });
        }
        forget(o.conversation, uploadId);
      },
    };

    var begin = resumed ? Promise.resolve(saved.upload) :
      request("POST", o.server + "/api/uploads/resumable", token()).then(function (body) {
        return body.upload.id;
      });
    begin.then(function (id) {
      uploadId = id;
      remember(o.conversation, { key: key, upload: id, files: files.length, bytes: total });
      report();
      pump();
    }, function (error) {
      fail(error.message, error.status);
    });
    return controller;
  }

  // An upload of this conversation that a reload interrupted: {files, bytes} or null.
  function interrupted(conversation) {
    var saved = remembered(conversation);
    return saved && saved.upload ? { files: saved.files, bytes: saved.bytes } : null;
  }

  return {
    CHUNK_SIZE: CHUNK_SIZE,
    PARALLEL: PARALLEL,
    RETRY_DELAYS: RETRY_DELAYS,
    selectionKey: selectionKey,
    secondsLeft: secondsLeft,
    send: send,
    interrupted: interrupted,
    forget: forget,
  };
});
