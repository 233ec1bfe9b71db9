/*!
 * SecondRead chat widget. No build step, no inline code: works under a CSP such as
 * "script-src 'self'; style-src 'self'; connect-src 'self' ws://rasa-host".
 *
 *   <script src="https://chat.example.org/widget.js" data-title="SecondRead"
 *           data-color="#0b5cad" defer></script>
 *
 * data-server   the web app's URL (default: where widget.js came from)
 * data-title    the name shown in the header (default "SecondRead")
 * data-color    brand colour, #rgb or #rrggbb; text colours are chosen for 4.5:1 contrast
 * data-open     "true" opens the chat on load
 * data-persist  "local" keeps the chat across browser restarts (default: this tab only, so
 *               the next person on a shared computer does not see it)
 * Translate by setting window.SecondReadConfig = {strings: {...}} before the script tag.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api; // node: the pure helpers, for unit tests
  } else if (typeof document !== "undefined") {
    api.boot(document.currentScript);
  }
})(this, function () {
  "use strict";

  // Every string a person sees. {name} placeholders are filled by fmt().
  var STRINGS = {
    launcher: "Chat with us",
    close: "Close chat",
    restart: "Start over",
    subtitle: "Second-opinion guide. Not for emergencies.",
    logLabel: "Conversation",
    youSaid: "You said:",
    botSaid: "{title} said:",
    inputLabel: "Your message",
    inputPlaceholder: "Type your message…",
    send: "Send",
    attachFiles: "Attach files",
    attachFolder: "Choose a folder",
    suggestions: "Suggested replies",
    typing: "{title} is typing…",
    intro:
      "Hi! I can help you get a second radiologist to read your scan. " +
      "I can't give a diagnosis. **In an emergency, call 911.**",
    getStarted: "Get started",
    connecting: "Connecting…",
    // Whenever the assistant can't be reached, the emergency line is on screen: a red flag
    // typed now must not wait behind a spinner.
    reconnecting:
      "Can't reach the assistant right now. Reconnecting… " +
      "If this is an emergency, call 911 now.",
    sessionError: "The chat can't start right now. Please try again in a minute.",
    historyError: "Earlier messages couldn't be loaded.",
    notSent:
      "Not connected yet: your message will be sent when the connection is back. " +
      "If this is an emergency, call 911 now.",
    noReply:
      "The assistant hasn't answered yet; your message is saved. " +
      "If this is an emergency, call 911 now.",
    dropHere: "Drop files or a folder here to upload them",
    uploading: "Uploading {files} ({size})",
    uploaded: "Uploaded {files} ({size}).",
    cancelUpload: "Cancel upload",
    uploadCancelled: "Upload cancelled.",
    uploadFailed: "The upload didn't work. Please try again.",
    uploadOffline: "The upload was interrupted. Check your connection and try again.",
    pauseUpload: "Pause",
    resumeUpload: "Resume",
    uploadPaused: "Paused. Press Resume to continue where it stopped.",
    uploadWaiting:
      "The connection was lost. The upload will continue by itself when you're back online.",
    uploadContinuing: "Continuing your upload where it stopped ({files}, {size}).",
    timeLeft: "{percent}% · about {time} left",
    uploadInterrupted:
      "An upload of {files} ({size}) didn't finish. Choose the same files again and it will " +
      "continue where it stopped.",
    seconds: "{n} s",
    minutes: "{n} min",
    hours: "{n} h {m} min",
    tooLarge:
      "These files are {size} in total; you can send up to {limit} at once. " +
      "Please send fewer files at a time.",
    tooManyFiles: "That's {count} files; you can send up to {limit} at once.",
    noFiles: "That folder has no files in it.",
    dismiss: "Dismiss",
    uploadMessage: "I've uploaded {files} ({size})",
    oneFile: "1 file",
    manyFiles: "{count} files",
    units: ["bytes", "KB", "MB", "GB", "TB"],
    emergency: "⚠ Emergency",
    staffSaid: "{name} from the support team said:",
    staffName: "{name} · support team",
    remembered: "This chat is kept on this device until {date}; open it then and it will be here.",
    rememberFailed: "This chat couldn't be kept on this device. Please note the dates above.",
    forgetDevice: "Forget this chat on this device",
    forgotten: "This device no longer keeps this chat.",
  };

  // How every emergency reply starts (bot/guidance/red_flags.py EMERGENCY_OPENINGS; a test
  // checks they match): such a reply is shown as an alert.
  var ALERT_OPENINGS = [
    "Please call 911 or go to the nearest emergency department now. Don't wait for a second " +
      "opinion.",
    "If you have any symptoms or feel unwell, call 911 or go to the nearest emergency " +
      "department now. Don't wait for a second opinion.",
  ];

  // A person from the support team in the chat (bot/notify/takeover.py words these lines; a
  // test checks they match): who joined, when the assistant is back, and their messages.
  var JOINED = / from the support team has joined the chat\.$/;
  var BACK = "You're chatting with the assistant again.";
  var STAFF = /^(.{1,80}?) from the support team: /;

  function takeoverLine(text) {
    text = String(text || "");
    if (JOINED.test(text)) return "joined";
    if (text === BACK) return "back";
    return STAFF.test(text) ? "staff" : null;
  }

  function isAlert(text) {
    return ALERT_OPENINGS.some(function (opening) { return String(text || "").indexOf(opening) === 0; });
  }

  var DEFAULT_COLOR = "#0b5cad";
  // No reply by then: stop the typing dots and say so (with the emergency line).
  var REPLY_TIMEOUT_MS = 20000;
  // From this total size on, files go in resumable pieces (tus); smaller ones in one request.
  var RESUMABLE_FROM = 8 * 1024 * 1024;

  // ---- pure helpers (unit-tested in node) ---------------------------------------------------

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (all, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // [label](url) with an allowed scheme, or a bare http(s) URL (trailing punctuation excluded).
  var LINK =
    /\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:|tel:)[^\s()<>"']+)\)|(https?:\/\/[^\s<>"'()[\]]*[^\s<>"'()[\].,;:!?])/g;

  function anchor(url, label) {
    return (
      '<a href="' + escapeHtml(url) + '" target="_blank" rel="noopener noreferrer">' +
      escapeHtml(label) + "</a>"
    );
  }

  function emphasis(raw) {
    return escapeHtml(raw)
      .replace(/\*\*(\S(?:[^*]*?\S)?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^\w*])[*_](\S(?:[^*_]*?\S)?)[*_](?![\w*])/g, "$1<em>$2</em>");
  }

  function renderInline(raw) {
    var out = "";
    var last = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(raw))) {
      out += emphasis(raw.slice(last, match.index));
      out += match[1] !== undefined ? anchor(match[2], match[1]) : anchor(match[3], match[3]);
      last = LINK.lastIndex;
    }
    return out + emphasis(raw.slice(last));
  }

  // Bot text → safe HTML: everything escaped first; then only bold, italic, links, line breaks
  // and "- " / "1. " lists are produced. No attribute except a checked href can appear.
  function renderMarkup(text) {
    var lines = String(text == null ? "" : text).replace(/\r\n?/g, "\n").split("\n");
    var html = "";
    var list = null; // "ul" or "ol" while inside a list
    var pendingBreak = false;
    lines.forEach(function (line) {
      var item = /^\s*(?:[-*•]\s+(.*)|(\d+)[.)]\s+(.*))$/.exec(line);
      var kind = item ? (item[1] !== undefined ? "ul" : "ol") : null;
      if (list && kind !== list) {
        html += "</" + list + ">";
        list = null;
      }
      if (kind) {
        if (!list) {
          html += "<" + kind + ">";
          list = kind;
        }
        html += "<li>" + renderInline(kind === "ul" ? item[1] : item[3]) + "</li>";
        pendingBreak = false;
      } else {
        if (pendingBreak) html += "<br>";
        html += renderInline(line);
        pendingBreak = true;
      }
    });
    if (list) html += "</" + list + ">";
    return html;
  }

  function parseColor(value) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
    if (!m) return null;
    var hex = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    return [0, 2, 4].map(function (i) {
      return parseInt(hex.slice(i, i + 2), 16);
    });
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrastRatio(a, b) {
    var la = luminance(a);
    var lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function toHex(rgb) {
    return "#" + rgb.map(function (v) {
      return ("0" + Math.round(v).toString(16)).slice(-2);
    }).join("");
  }

  // The brand colour as a background with readable text, and as text/borders on white.
  function palette(color) {
    var brand = parseColor(color) || parseColor(DEFAULT_COLOR);
    var white = [255, 255, 255];
    var dark = [17, 17, 17];
    var ink = brand.slice();
    while (contrastRatio(ink, white) < 4.5) {
      ink = ink.map(function (v) {
        return v * 0.9;
      });
    }
    var onBrand = contrastRatio(brand, white) >= contrastRatio(brand, dark) ? white : dark;
    if (contrastRatio(brand, onBrand) < 4.5) {
      brand = ink; // a mid-tone neither white nor black text can be read on: use the darker shade
      onBrand = white;
    }
    return { brand: toHex(brand), onBrand: toHex(onBrand), ink: toHex(ink) };
  }

  function formatSize(bytes, units) {
    units = units || STRINGS.units;
    var i = 0;
    var n = bytes;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
  }

  // ---- the widget ----------------------------------------------------------------------------

  function boot(script) {
    if (window.__secondReadWidget) return; // included twice: one widget
    var data = (script && script.dataset) || {};
    var server = (data.server || (script && script.src ? new URL(script.src).origin : location.origin))
      .replace(/\/+$/, "");
    var userConfig = window.SecondReadConfig || {};
    var strings = Object.assign({}, STRINGS, userConfig.strings || {});
    var widget = new Widget({
      server: server,
      title: data.title || "SecondRead",
      colors: palette(data.color),
      open: data.open === "true",
      storage: storage(data.persist === "local" ? "localStorage" : "sessionStorage"),
      strings: strings,
    });
    window.__secondReadWidget = widget;
    var start = function () {
      widget.mount();
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  // Storage can be blocked (privacy settings, sandboxed frames): then the chat lasts as long as
  // the page.
  function storage(name) {
    try {
      var store = window[name];
      store.setItem("secondread:probe", "1");
      store.removeItem("secondread:probe");
      return store;
    } catch (blocked) {
      var memory = {};
      return {
        getItem: function (key) { return key in memory ? memory[key] : null; },
        setItem: function (key, value) { memory[key] = String(value); },
        removeItem: function (key) { delete memory[key]; },
      };
    }
  }

  function touchScreen() {
    return !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === false || value == null) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var ICONS = {
    chat: "M4 4h16v11H8l-4 4z",
    close: "M6 6l12 12M18 6L6 18",
    clip:
      "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.7-5.7L5.8 11.4a6 6 0 0 0 8.5 8.5l6.2-6.2",
    folder: "M3 6h6l2 2h10v11H3z",
    send: "M4 12l16-8-6 16-2-7z",
  };

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function Widget(options) {
    this.o = options;
    this.s = options.strings;
    this.key = "secondread:" + options.server;
    // Asked for by the patient after a records request: kept across visits whatever
    // data-persist says (a resume token, which only reopens this chat while it is on record).
    this.device = options.device || storage("localStorage");
    this.resumeKey = this.key + ":resume";
    this.session = null;
    this.socket = null;
    this.ready = false; // socket connected and the session confirmed
    this.outbox = [];
    this.confirmedOnce = false;
    this.typingTimer = null;
    this.answerStart = null; // the first message of the answer being received
  }

  Widget.prototype.t = function (name, values) {
    return fmt(this.s[name], Object.assign({ title: this.o.title }, values || {}));
  };

  Widget.prototype.mount = function () {
    var s = this.s;
    var self = this;
    var c = this.o.colors;
    var id = "sr-" + Math.random().toString(36).slice(2, 8);
    this.root = el("div", { className: "sr-widget" });
    this.root.style.setProperty("--sr-brand", c.brand);
    this.root.style.setProperty("--sr-on-brand", c.onBrand);
    this.root.style.setProperty("--sr-ink", c.ink);

    this.launcher = el("button", {
      type: "button", className: "sr-launcher", "aria-expanded": "false", "aria-controls": id,
    }, [icon("chat"), el("span", { text: s.launcher })]);

    this.closeButton = el("button", {
      type: "button", className: "sr-icon-button", "aria-label": s.close, title: s.close,
    }, [icon("close")]);
    this.restartButton = el("button", { type: "button", className: "sr-text-button", text: s.restart });
    var header = el("div", { className: "sr-header" }, [
      el("div", { className: "sr-heading" }, [
        el("h2", { id: id + "-title", className: "sr-title", text: this.o.title }),
        el("p", { className: "sr-subtitle", text: s.subtitle }),
      ]),
      this.restartButton,
      this.closeButton,
    ]);

    this.log = el("div", {
      className: "sr-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": s.logLabel, tabindex: "0",
    });
    this.status = el("p", { className: "sr-status", role: "status" });
    this.announcer = el("p", { className: "sr-visually-hidden", role: "status" });
    this.typing = el("div", { className: "sr-typing", hidden: true }, [
      el("span", { className: "sr-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      el("span", { text: this.t("typing") }),
    ]);
    this.quick = el("div", { className: "sr-quick", role: "group", "aria-label": s.suggestions });
    this.uploads = el("div", { className: "sr-uploads" });

    this.input = el("input", {
      id: id + "-input", className: "sr-input", type: "text", autocomplete: "off",
      placeholder: s.inputPlaceholder, maxlength: "2000",
    });
    this.fileInput = el("input", { type: "file", multiple: true, hidden: true, tabindex: "-1" });
    this.folderInput = el("input", {
      type: "file", multiple: true, webkitdirectory: true, hidden: true, tabindex: "-1",
    });
    this.attachButton = el("button", {
      type: "button", className: "sr-icon-button", "aria-label": s.attachFiles, title: s.attachFiles,
    }, [icon("clip")]);
    this.folderButton = el("button", {
      type: "button", className: "sr-icon-button", "aria-label": s.attachFolder, title: s.attachFolder,
    }, [icon("folder")]);
    this.sendButton = el("button", { type: "submit", className: "sr-send" }, [
      icon("send"), el("span", { className: "sr-visually-hidden", text: s.send }),
    ]);
    this.form = el("form", { className: "sr-composer" }, [
      el("label", { for: id + "-input", className: "sr-visually-hidden", text: s.inputLabel }),
      this.input, this.sendButton, this.attachButton, this.folderButton,
      this.fileInput, this.folderInput,
    ]);
    this.dropHint = el("div", { className: "sr-drop", hidden: true, "aria-hidden": "true" }, [
      el("p", { text: s.dropHere }),
    ]);

    this.panel = el("section", {
      id: id, className: "sr-panel", hidden: true, "aria-labelledby": id + "-title",
    }, [
      header, this.log, this.status, this.announcer, this.typing, this.quick, this.uploads,
      this.form, this.dropHint,
    ]);
    this.root.appendChild(this.panel);
    this.root.appendChild(this.launcher);
    // Hidden until our stylesheet is in, so the page never shows an unstyled widget.
    var root = this.root;
    var show = function () { root.style.visibility = ""; };
    root.style.visibility = "hidden";
    var css = el("link", { rel: "stylesheet", href: this.o.server + "/widget.css" });
    css.addEventListener("load", show);
    css.addEventListener("error", show);
    document.head.appendChild(css);
    document.body.appendChild(root);

    this.launcher.addEventListener("click", function () {
      if (self.panel.hidden) self.open(); else self.close();
    });
    this.closeButton.addEventListener("click", function () { self.close(); });
    this.restartButton.addEventListener("click", function () { self.restart(); });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") self.close();
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) return;
      self.input.value = "";
      self.send(text, text);
    });
    // While a person answers, they see that the patient is typing or has left (states only).
    this.input.addEventListener("input", function () { self.presence("typing"); });
    window.addEventListener("pagehide", function () { self.presence("left"); });
    this.attachButton.addEventListener("click", function () { self.fileInput.click(); });
    this.folderButton.addEventListener("click", function () { self.folderInput.click(); });
    [this.fileInput, this.folderInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var files = Array.prototype.map.call(input.files, function (file) {
          return { file: file, path: file.webkitRelativePath || file.name };
        });
        input.value = "";
        if (files.length) self.upload(files);
      });
    });
    this.bindDrop();

    var wasOpen = this.o.storage.getItem(this.key + ":open") === "1";
    if (this.o.open || wasOpen) this.open(false);
  };

  Widget.prototype.open = function (focus) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.root.classList.add("sr-is-open");
    this.o.storage.setItem(this.key + ":open", "1");
    // On a phone the keyboard would cover the first answer buttons: focus the conversation,
    // and the patient taps the message box when they want to type.
    if (focus !== false) (touchScreen() ? this.log : this.input).focus();
    if (!this.started) {
      this.started = true;
      this.start();
    }
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.root.classList.remove("sr-is-open");
    this.o.storage.removeItem(this.key + ":open");
    this.launcher.focus();
  };

  // ---- session, history and socket -------------------------------------------------------------

  Widget.prototype.api = function (method, path, token) {
    var headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(this.o.server + path, { method: method, headers: headers, credentials: "omit" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            var error = new Error(body.message || response.statusText);
            error.status = response.status;
            throw error;
          }
          return body;
        });
      });
  };

  // Only while a support person has taken over; "typing" at most every 3 s. `keepalive` lets
  // "left" go out while the page unloads.
  Widget.prototype.presence = function (state) {
    if (!this.paused || !this.session) return;
    var now = Date.now();
    if (state === "typing" && now - (this.typingSentAt || 0) < 3000) return;
    if (state === "typing") this.typingSentAt = now;
    fetch(this.o.server + "/api/presence", {
      method: "POST", credentials: "omit", keepalive: true,
      headers: { Authorization: "Bearer " + this.session.token, "Content-Type": "application/json" },
      body: JSON.stringify({ state: state }),
    }).catch(function () { /* presence is a nicety: never bother the patient with it */ });
  };

  Widget.prototype.saveSession = function (session) {
    this.session = session;
    this.o.storage.setItem(this.key, JSON.stringify({
      conversation_id: session.conversation_id, token: session.token, expires_at: session.expires_at,
    }));
    return session;
  };

  // A stored, unexpired session is refreshed (same conversation); otherwise a new one starts.
  Widget.prototype.ensureSession = function () {
    var self = this;
    var stored = null;
    try {
      stored = JSON.parse(this.o.storage.getItem(this.key) || "null");
    } catch (ignored) {
      stored = null;
    }
    var fresh = function () {
      return self.api("POST", "/api/sessions").then(function (s) { return self.saveSession(s); });
    };
    var resumeOrFresh = function () {
      var kept = self.remembered();
      if (!kept) return fresh();
      return self.api("POST", "/api/sessions/resume", kept.token)
        .then(function (s) { return self.saveSession(s); })
        .catch(function (error) {
          if (error.status !== 401) throw error;
          self.device.removeItem(self.resumeKey);
          return fresh();
        });
    };
    if (!stored || !stored.token || stored.expires_at * 1000 < Date.now() + 60000) {
      return resumeOrFresh();
    }
    return this.api("POST", "/api/sessions/refresh", stored.token)
      .then(function (s) { return self.saveSession(s); })
      .catch(function (error) {
        if (error.status === 401) return resumeOrFresh();
        throw error;
      });
  };

  // The resume token this device keeps, if still valid.
  Widget.prototype.remembered = function () {
    var kept = null;
    try {
      kept = JSON.parse(this.device.getItem(this.resumeKey) || "null");
    } catch (ignored) {
      kept = null;
    }
    if (!kept || !kept.token || kept.expires_at * 1000 < Date.now()) return null;
    return kept;
  };

  Widget.prototype.remember = function () {
    var self = this;
    return this.api("POST", "/api/sessions/remember", this.session.token).then(
      function (body) {
        self.device.setItem(self.resumeKey, JSON.stringify({
          conversation_id: self.session.conversation_id,
          token: body.resume_token,
          expires_at: body.expires_at,
        }));
        var until = new Date(body.expires_at * 1000).toLocaleDateString([], {
          year: "numeric", month: "long", day: "numeric",
        });
        self.notice(self.t("remembered", { date: until }));
        self.offerForget();
      },
      function () { self.notice(self.s.rememberFailed, "error"); }
    );
  };

  // A shared computer: the patient can take the chat off this device again.
  Widget.prototype.offerForget = function () {
    var self = this;
    var button = el("button", { type: "button", className: "sr-link-button", text: this.s.forgetDevice });
    button.addEventListener("click", function () {
      self.device.removeItem(self.resumeKey);
      button.remove();
      self.notice(self.s.forgotten);
    });
    this.log.appendChild(button);
    this.scrollDown();
  };

  // Buttons whose payload starts with "widget:" act here and are never sent to the bot.
  Widget.prototype.localAction = function (payload, button) {
    if (payload === "widget:remember") {
      button.remove();
      this.remember();
    }
  };

  Widget.prototype.start = function () {
    var self = this;
    this.setStatus(this.s.connecting);
    this.ensureSession()
      .then(function () { return self.loadHistory(); })
      .then(function () { return self.loadSocketClient(); })
      .then(function () { self.connect(); })
      .catch(function () {
        self.started = false; // opening the chat again retries
        self.setStatus(self.s.sessionError);
      });
  };

  Widget.prototype.loadHistory = function () {
    var self = this;
    var path = "/api/conversations/" + encodeURIComponent(this.session.conversation_id) + "/history";
    return this.api("GET", path, this.session.token).then(
      function (body) { self.renderHistory(body.messages || []); },
      function () {
        self.renderHistory([]);
        self.notice(self.s.historyError, "error");
      }
    );
  };

  Widget.prototype.loadSocketClient = function () {
    var server = this.o.server;
    if (window.io) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = el("script", { src: server + "/static/socket.io.min.js" });
      script.addEventListener("load", resolve);
      script.addEventListener("error", reject);
      document.head.appendChild(script);
    });
  };

  Widget.prototype.connect = function () {
    var self = this;
    var session = this.session;
    var socket = window.io(session.socket_url, {
      path: session.socket_path || "/socket.io",
      transports: ["websocket"], // no cross-origin long-polling, so no CORS set-up on Rasa
      auth: function (cb) { cb({ token: self.session.token }); }, // the freshest token on reconnect
    });
    this.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: self.session.conversation_id });
    });
    socket.on("session_confirm", function () {
      var again = self.confirmedOnce;
      self.confirmedOnce = true;
      self.ready = true;
      self.setStatus("");
      // Replies sent while we were away are in the tracker: show them, then what is still
      // waiting to be sent.
      var catchUp = again ? self.loadHistory() : Promise.resolve();
      catchUp.then(function () {
        if (again && self.outbox.length) {
          self.clearQuickReplies(); // answered by what is waiting to be sent
          self.outbox.forEach(function (item) { self.addMessage("user", item.display, item.time); });
        }
        self.flush();
      });
    });
    socket.on("bot_uttered", function (message) { self.receive(message); });
    socket.on("disconnect", function () {
      self.ready = false;
      self.setStatus(self.s.reconnecting);
    });
    socket.on("connect_error", function () {
      self.ready = false;
      self.setStatus(self.s.reconnecting);
      if (socket.active) return; // socket.io retries by itself
      // The server refused us (an expired token): get a fresh token, then try again.
      setTimeout(function () {
        self.ensureSession().then(function () { socket.connect(); }, function () {
          self.setStatus(self.s.sessionError);
        });
      }, 2000);
    });
  };

  // Only on a confirmed, live connection: socket.io would buffer an emit made while offline and
  // send it before session_request on reconnect, and the reply would miss us.
  Widget.prototype.flush = function () {
    while (this.ready && this.socket.connected && this.outbox.length) {
      var item = this.outbox.shift();
      this.socket.emit("user_uttered", {
        message: item.payload,
        session_id: this.session.conversation_id,
        metadata: item.metadata,
      });
    }
  };

  // Shows `display` as the user's message and sends `payload` to the bot.
  Widget.prototype.send = function (payload, display, metadata) {
    this.answerStart = null; // the next answer starts here
    this.clearQuickReplies();
    this.removeIntro();
    var time = Date.now();
    this.addMessage("user", display, time);
    this.outbox.push({
      display: display,
      time: time,
      payload: payload,
      metadata: Object.assign({ display_text: display }, metadata || {}),
    });
    if (!this.paused) this.showTyping(); // while a person answers, nobody "is typing"
    if (!this.ready && this.socket) this.setStatus(this.s.notSent);
    this.flush();
  };

  Widget.prototype.restart = function () {
    this.log.replaceChildren();
    this.send("/restart", this.s.restart);
    this.input.focus();
  };

  Widget.prototype.receive = function (message) {
    if (!message || typeof message.text !== "string") return;
    this.hideTyping();
    if (this.status.textContent === this.s.noReply) this.setStatus("");
    if (this.showTakeover(message.text)) return;
    this.startsAnswer();
    var item = this.addMessage("bot", message.text, Date.now());
    if (!this.answerStart) this.answerStart = item;
    this.setQuickReplies(message.quick_replies || message.buttons || []);
  };

  // ---- rendering --------------------------------------------------------------------------------

  Widget.prototype.renderHistory = function (messages) {
    var self = this;
    this.log.setAttribute("aria-busy", "true"); // one update, not one announcement per message
    this.log.replaceChildren();
    this.clearQuickReplies();
    messages.forEach(function (m) {
      if (m.sender === "bot" && self.showTakeover(m.text, m.timestamp * 1000)) {
        return;
      } else if (m.sender === "bot") {
        var parts = String(m.text || "").split("\n\n").filter(Boolean);
        parts.forEach(function (part) { self.addMessage("bot", part, m.timestamp * 1000); });
      } else {
        self.addMessage("user", m.text, m.timestamp * 1000);
      }
    });
    var last = messages[messages.length - 1];
    if (last && last.sender === "bot") this.setQuickReplies(last.buttons || []);
    if (!messages.length) this.showIntro();
    else this.restartButton.hidden = false;
    this.log.removeAttribute("aria-busy");
    this.presence("here"); // back in a chat a person is answering (sent only while paused)
    this.noticeInterruptedUpload();
  };

  // A message that comes by itself (a person's, a follow-up, a late verdict), not within a few
  // seconds of the last one: a new answer starts, and the view goes to it.
  Widget.prototype.startsAnswer = function () {
    var now = Date.now();
    if (now - (this.lastReceivedAt || 0) > 3000) this.answerStart = null;
    this.lastReceivedAt = now;
  };

  // The take-over's lines: who joined and "the assistant is back" as system lines, a person's
  // messages as theirs (name above a distinct bubble). True when the text was one of them.
  Widget.prototype.showTakeover = function (text, time) {
    var kind = takeoverLine(text);
    if (!kind) return false;
    this.hideTyping();
    if (!time) this.startsAnswer();
    if (kind !== "back") this.clearQuickReplies(); // the bot's buttons, while a person answers
    if (kind === "staff") {
      var match = STAFF.exec(text);
      var item = this.addMessage("staff", text.slice(match[0].length), time || Date.now(),
                                 match[1]);
      if (!this.answerStart) this.answerStart = item;
      this.paused = true;
    } else {
      this.notice(text, "system");
      this.paused = kind === "joined";
    }
    return true;
  };

  Widget.prototype.addMessage = function (sender, text, time, name) {
    var who = sender === "user" ? this.s.youSaid
      : sender === "staff" ? this.t("staffSaid", { name: name }) : this.t("botSaid");
    var alert = sender === "bot" && isAlert(text);
    var bubble = el("div", { className: "sr-bubble", role: alert ? "alert" : null });
    if (sender === "bot") bubble.innerHTML = renderMarkup(text); // escaped by renderMarkup
    else bubble.textContent = text;
    if (alert) {
      bubble.insertBefore(el("strong", { className: "sr-alert-label", text: this.s.emergency }),
                          bubble.firstChild);
    }
    var when = new Date(time);
    var item = el("div", { className: "sr-msg sr-msg--" + sender + (alert ? " sr-msg--alert" : "") }, [
      el("span", { className: "sr-visually-hidden", text: who + " " }),
      sender === "staff" ? el("span", { className: "sr-staff-name", "aria-hidden": "true",
                                        text: this.t("staffName", { name: name }) }) : null,
      bubble,
      el("time", {
        className: "sr-time", datetime: when.toISOString(),
        text: when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }),
      }),
    ]);
    this.log.appendChild(item);
    this.scrollDown();
    return item;
  };

  // For screen readers only: transient news that would clutter the conversation.
  Widget.prototype.announce = function (text) {
    this.announcer.textContent = text;
  };

  Widget.prototype.notice = function (text, kind) {
    var item = el("p", { className: "sr-notice" + (kind ? " sr-notice--" + kind : ""), text: text });
    this.log.appendChild(item);
    this.scrollDown();
  };

  // A new conversation starts with a local welcome (not sent to the bot) and one quick reply.
  Widget.prototype.showIntro = function () {
    var intro = this.addMessage("bot", this.s.intro, Date.now());
    intro.classList.add("sr-intro");
    // The patient's bubble shows what they pressed; nothing to start over from yet.
    this.setQuickReplies([{ title: this.s.getStarted, payload: "/greet" }]);
    this.restartButton.hidden = true;
  };

  Widget.prototype.removeIntro = function () {
    var intro = this.log.querySelector(".sr-intro");
    if (intro) intro.remove();
    this.restartButton.hidden = false;
  };

  Widget.prototype.setQuickReplies = function (buttons) {
    var self = this;
    this.clearQuickReplies();
    buttons.forEach(function (b) {
      if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
      var local = b.payload.indexOf("widget:") === 0;
      if (b.payload === "widget:remember" && self.remembered()) return; // already kept
      var button = el("button", { type: "button", className: "sr-quick-reply", text: b.title });
      button.addEventListener("click", function () {
        if (local) return self.localAction(b.payload, button);
        self.send(b.payload, b.display || b.title);
        // The clicked button is gone: keep focus in the composer until the answer comes,
        // then on the answer's first option (not 9 Shift+Tabs away from it).
        self.focusNextReply = true;
        self.input.focus();
      });
      self.quick.appendChild(button);
    });
    var first = this.quick.querySelector("button");
    if (this.focusNextReply && first && document.activeElement === this.input &&
        !this.input.value) {
      first.focus();
    }
    if (first) this.focusNextReply = false;
    this.scrollDown();
  };

  Widget.prototype.clearQuickReplies = function () {
    this.quick.replaceChildren();
  };

  Widget.prototype.showTyping = function () {
    var self = this;
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () {
      self.hideTyping();
      self.setStatus(self.s.noReply);
    }, this.replyTimeoutMs || REPLY_TIMEOUT_MS);
    this.scrollDown();
  };

  Widget.prototype.hideTyping = function () {
    clearTimeout(this.typingTimer);
    this.typing.hidden = true;
  };

  Widget.prototype.setStatus = function (text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  };

  // After layout: quick replies appearing below the log make it shorter.
  // To the newest message; while an answer arrives, to the answer's first line instead, so a
  // long answer is read from its headline ("strongly recommended"), not from its last part.
  Widget.prototype.scrollDown = function () {
    var self = this;
    var place = function () {
      var log = self.log;
      var start = self.answerStart;
      if (start && start.isConnected) {
        var top = start.getBoundingClientRect().top - log.getBoundingClientRect().top;
        log.scrollTop = Math.max(0, log.scrollTop + top - 8);
      } else {
        log.scrollTop = log.scrollHeight;
      }
    };
    place();
    requestAnimationFrame(place);
  };

  // ---- uploads ------------------------------------------------------------------------------

  Widget.prototype.bindDrop = function () {
    var self = this;
    var depth = 0;
    var hasFiles = function (event) {
      return Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") >= 0;
    };
    this.panel.addEventListener("dragenter", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      self.dropHint.hidden = false;
    });
    this.panel.addEventListener("dragover", function (event) {
      if (hasFiles(event)) event.preventDefault();
    });
    this.panel.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) self.dropHint.hidden = true;
    });
    this.panel.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      self.dropHint.hidden = true;
      droppedFiles(event.dataTransfer).then(function (files) {
        if (files.length) self.upload(files);
        else self.notice(self.s.noFiles, "error");
      });
    });
  };

  // Files and whole folders (walked recursively, keeping relative paths) from a drop.
  function droppedFiles(transfer) {
    var entries = Array.prototype.map.call(transfer.items || [], function (item) {
      return item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    }).filter(Boolean);
    if (!entries.length) {
      return Promise.resolve(Array.prototype.map.call(transfer.files || [], function (file) {
        return { file: file, path: file.name };
      }));
    }
    return Promise.all(entries.map(walk)).then(function (lists) {
      return [].concat.apply([], lists);
    });
  }

  function walk(entry) {
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (file) {
          resolve([{ file: file, path: entry.fullPath.replace(/^\//, "") }]);
        }, function () { resolve([]); });
      });
    }
    var reader = entry.createReader();
    var all = [];
    return new Promise(function (resolve) {
      (function more() {
        reader.readEntries(function (batch) { // returns at most 100 entries per call
          if (!batch.length) {
            Promise.all(all.map(walk)).then(function (lists) { resolve([].concat.apply([], lists)); });
            return;
          }
          all = all.concat(Array.prototype.slice.call(batch));
          more();
        }, function () { resolve([]); });
      })();
    });
  }

  Widget.prototype.filesLabel = function (count) {
    return count === 1 ? this.s.oneFile : fmt(this.s.manyFiles, { count: count });
  };

  Widget.prototype.upload = function (files) {
    var self = this;
    var s = this.s;
    var total = files.reduce(function (sum, f) { return sum + f.file.size; }, 0);
    var label = { files: this.filesLabel(files.length), size: formatSize(total, s.units) };
    var limits = (this.session && this.session.upload_limits) || {};
    if (limits.max_request_bytes && total > limits.max_request_bytes) {
      this.uploadError(fmt(s.tooLarge, {
        size: formatSize(total, s.units), limit: formatSize(limits.max_request_bytes, s.units),
      }));
      return;
    }
    if (limits.max_files && files.length > limits.max_files) {
      this.uploadError(fmt(s.tooManyFiles, { count: files.length, limit: limits.max_files }));
      return;
    }
    if (!this.session) {
      this.uploadError(s.sessionError);
      return;
    }

    if (total >= RESUMABLE_FROM) {
      this.loadScripts(["tus.min.js", "resumable.js"]).then(function () {
        if (window.tus && window.tus.isSupported) self.uploadResumable(files, label);
        else self.uploadWhole(files, label);
      }, function () { self.uploadWhole(files, label); });
      return;
    }
    this.uploadWhole(files, label);
  };

  // Small uploads in one multipart request.
  Widget.prototype.uploadWhole = function (files, label) {
    var self = this;
    var s = this.s;
    var form = new FormData();
    files.forEach(function (f) { form.append("file", f.file, f.path); });
    var xhr = new XMLHttpRequest();
    var bar = el("progress", { max: "100", value: "0" });
    var percent = el("span", { className: "sr-percent", "aria-hidden": "true", text: "0%" });
    var cancel = el("button", { type: "button", className: "sr-text-button", text: s.cancelUpload });
    var title = el("p", { className: "sr-upload-title", text: fmt(s.uploading, label) });
    var item = el("div", { className: "sr-upload", role: "group" }, [title, bar, percent, cancel]);
    var titleId = "sr-up-" + Math.random().toString(36).slice(2, 8);
    title.id = titleId;
    item.setAttribute("aria-labelledby", titleId);
    bar.setAttribute("aria-labelledby", titleId);
    this.uploads.appendChild(item);
    this.announce(fmt(s.uploading, label));

    cancel.addEventListener("click", function () { xhr.abort(); });
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var value = Math.round((event.loaded / event.total) * 100);
      bar.value = value;
      percent.textContent = value + "%";
    });
    var finish = function () {
      item.remove();
      self.input.focus();
    };
    xhr.addEventListener("load", function () {
      finish();
      var body = {};
      try {
        body = JSON.parse(xhr.responseText || "{}");
      } catch (ignored) {
        body = {};
      }
      if (xhr.status !== 201 && xhr.status !== 200) {
        self.uploadError(body.message || s.uploadFailed);
        return;
      }
      var ids = (body.uploads || []).map(function (u) { return u.id; });
      self.notice(fmt(s.uploaded, label));
      self.send("/upload_files", fmt(s.uploadMessage, label), { upload_ids: ids });
    });
    xhr.addEventListener("abort", function () {
      finish();
      self.notice(s.uploadCancelled);
    });
    xhr.addEventListener("error", function () {
      finish();
      self.uploadError(s.uploadOffline);
    });
    xhr.open("POST", this.o.server + "/api/uploads");
    xhr.setRequestHeader("Authorization", "Bearer " + this.session.token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(form);
  };

  // Large uploads with tus: in pieces, a few files at a time, resuming after a cut connection
  // or a reload (static/resumable.js).
  Widget.prototype.uploadResumable = function (files, label) {
    var self = this;
    var s = this.s;
    var bar = el("progress", { max: "100", value: "0" });
    var percent = el("span", { className: "sr-percent", text: "0%" });
    var pause = el("button", { type: "button", className: "sr-text-button", text: s.pauseUpload });
    var cancel = el("button", { type: "button", className: "sr-text-button", text: s.cancelUpload });
    var title = el("p", { className: "sr-upload-title", text: fmt(s.uploading, label) });
    var state = el("p", { className: "sr-upload-state", role: "status" });
    var item = el("div", { className: "sr-upload", role: "group" },
      [title, bar, percent, state, pause, cancel]);
    var titleId = "sr-up-" + Math.random().toString(36).slice(2, 8);
    title.id = titleId;
    item.setAttribute("aria-labelledby", titleId);
    bar.setAttribute("aria-labelledby", titleId);
    this.uploads.appendChild(item);
    var finish = function () {
      item.remove();
      self.input.focus();
    };
    var paused = false;
    var sending = window.SecondReadResumable.send(files, {
      server: this.o.server,
      conversation: this.session.conversation_id,
      token: function () { return self.session.token; },
      progress: function (sent, total, left) {
        var value = total ? Math.floor((sent / total) * 100) : 100;
        bar.value = value;
        percent.textContent = left === null ? value + "%" :
          fmt(s.timeLeft, { percent: value, time: self.duration(left) });
      },
      state: function (now) {
        paused = now !== "running";
        pause.textContent = paused ? s.resumeUpload : s.pauseUpload;
        state.textContent = now === "paused" ? s.uploadPaused :
          now === "offline" ? s.uploadWaiting : "";
      },
      done: function (ids) {
        finish();
        self.notice(fmt(s.uploaded, label));
        self.send("/upload_files", fmt(s.uploadMessage, label), { upload_ids: ids });
      },
      failed: function (message) {
        finish();
        self.uploadError(message || s.uploadFailed);
      },
    });
    this.announce(sending.resumed ? fmt(s.uploadContinuing, label) : fmt(s.uploading, label));
    if (sending.resumed) state.textContent = fmt(s.uploadContinuing, label);
    pause.addEventListener("click", function () {
      if (paused) sending.resume();
      else sending.pause();
    });
    cancel.addEventListener("click", function () {
      sending.cancel();
      finish();
      self.notice(s.uploadCancelled);
    });
  };

  Widget.prototype.duration = function (seconds) {
    var s = this.s;
    if (seconds < 60) return fmt(s.seconds, { n: Math.max(1, Math.round(seconds / 5) * 5) });
    if (seconds < 3600) return fmt(s.minutes, { n: Math.round(seconds / 60) });
    return fmt(s.hours, { n: Math.floor(seconds / 3600), m: Math.round((seconds % 3600) / 60) });
  };

  // An upload that a reload cut off: say how to go on (the browser needs the files again).
  Widget.prototype.noticeInterruptedUpload = function () {
    var self = this;
    if (!this.session) return;
    var conversation = this.session.conversation_id;
    var store;
    try {
      store = window.localStorage.getItem("secondread.upload." + conversation);
    } catch (blocked) {
      return;
    }
    if (!store) return;
    this.loadScripts(["resumable.js"]).then(function () {
      var cut = window.SecondReadResumable.interrupted(conversation);
      if (!cut) return;
      self.notice(fmt(self.s.uploadInterrupted, {
        files: self.filesLabel(cut.files), size: formatSize(cut.bytes, self.s.units),
      }));
    });
  };

  Widget.prototype.loadScripts = function (names) {
    var server = this.o.server;
    return names.reduce(function (chain, name) {
      return chain.then(function () {
        var global = name === "tus.min.js" ? "tus" : "SecondReadResumable";
        if (window[global]) return undefined;
        return new Promise(function (resolve, reject) {
          var script = el("script", { src: server + "/static/" + name });
          script.addEventListener("load", resolve);
          script.addEventListener("error", reject);
          document.head.appendChild(script);
        });
      });
    }, Promise.resolve());
  };

  // Errors stay visible until dismissed, and are announced once (role="alert").
  Widget.prototype.uploadError = function (message) {
    var self = this;
    var dismiss = el("button", { type: "button", className: "sr-text-button", text: this.s.dismiss });
    var item = el("div", { className: "sr-upload sr-upload--error", role: "alert" }, [
      el("p", { text: message }), dismiss,
    ]);
    dismiss.addEventListener("click", function () {
      item.remove();
      self.input.focus();
    });
    this.uploads.appendChild(item);
  };

  return {
    STRINGS: STRINGS,
    fmt: fmt,
    escapeHtml: escapeHtml,
    renderMarkup: renderMarkup,
    parseColor: parseColor,
    contrastRatio: contrastRatio,
    palette: palette,
    formatSize: formatSize,
    isAlert: isAlert,
    takeoverLine: takeoverLine,
    ALERT_OPENINGS: ALERT_OPENINGS,
    boot: boot,
  };
});
