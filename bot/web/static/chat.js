/* Tiếp Dân web chat: one WebSocket to the bot; the server's transcript is the truth, this page only shows it.
 * Messages not yet acknowledged are kept in sessionStorage and sent again (same id) after a reconnect or a
 * reload, so nothing typed is lost and nothing is handled twice. A photo picked while offline waits in the same
 * queue and is uploaded on reconnect. Every text comes from the page's config. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("tiepdan-config").textContent);
  var T = config.texts;
  var log = document.getElementById("log");
  var scroller = document.getElementById("main");
  var statusLine = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("composer-text");
  var errorLine = document.getElementById("composer-error");
  var photoInput = document.getElementById("photo-input");
  var photoButton = document.getElementById("photo-button");
  var locationButton = document.getElementById("location-button");
  var sendButton = document.getElementById("send-button");
  var pendingKey = "tiepdan-pending:" + (config.seat || "");

  var PRIMARY = ["send"];  // the one submit action of a step, drawn filled
  var socket = null;
  var retryDelay = 1000;
  var retryTimer = null;
  var shown = {};        // transcript id -> element
  var pending = load();  // client id -> frame not yet acknowledged
  var photos = {};       // client id -> the picked file of a photo frame not yet uploaded
  var uploading = {};    // client id -> true while its photo is being uploaded
  var sentOnce = false;  // the greeting was asked for on this page

  function load() {
    try { return JSON.parse(sessionStorage.getItem(pendingKey) || "{}"); } catch (e) { return {}; }
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }
  function newId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function query(extra) {
    var params = ["lang=" + encodeURIComponent(config.lang)];
    if (config.seat) { params.push("as=" + encodeURIComponent(config.seat)); }
    return "?" + params.concat(extra || []).join("&");
  }
  function setStatus(text, state) {
    statusLine.textContent = text;
    if (state) { statusLine.dataset.state = state; }
  }
  function restoreStatus() {
    if (online()) { setStatus(T["web.js.connected"], "online"); } else { setStatus(T["web.js.reconnecting"], "offline"); }
  }
  function online() { return socket !== null && socket.readyState === WebSocket.OPEN; }
  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }
  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  // --- drawing messages ------------------------------------------------------------------------------

  function bubble(direction) {
    var item = document.createElement("div");
    item.className = "msg " + direction;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (direction === "in" ? T["web.js.you"] : T["web.js.bot"]) + ": ";
    item.appendChild(who);
    return item;
  }
  function paragraph(parent, text, links) {
    var p = document.createElement("p");
    if (!links) { p.textContent = text; parent.appendChild(p); return; }
    // The bot's own links (the receipt's /track link) are tappable; everything stays text nodes, never HTML.
    text.split(/(https?:\/\/[^\s]+)/).forEach(function (part, index) {
      if (index % 2 === 0) { p.appendChild(document.createTextNode(part)); return; }
      var a = document.createElement("a");
      a.href = part;
      a.textContent = part;
      a.className = "link";
      p.appendChild(a);
    });
    parent.appendChild(p);
  }
  function voice(parent, attachmentId, preview) {
    var audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = preview || "/chat/media/" + attachmentId + query();
    audio.setAttribute("aria-label", T["web.js.voice_alt"]);
    parent.appendChild(audio);
  }
  function image(parent, attachmentId, preview) {
    var img = document.createElement("img");
    img.src = preview || "/chat/media/" + attachmentId + query();
    img.alt = T["web.js.photo_alt"];
    img.loading = "lazy";
    parent.appendChild(img);
  }
  function stamp(parent, iso) {
    if (!iso) { return; }
    var time = document.createElement("time");
    time.dateTime = iso;
    var when = new Date(iso);
    time.textContent = isNaN(when) ? "" : when.toLocaleTimeString(config.lang, { hour: "2-digit", minute: "2-digit" });
    parent.appendChild(time);
  }
  function fillBody(item, message) {
    (message.attachments || []).forEach(function (id) { (message.voice ? voice : image)(item, id); });
    if (message.preview) { (message.voice ? voice : image)(item, null, message.preview); }
    if (message.location) {
      paragraph(item, fill(T["web.js.location_sent"], { lat: message.location[0], lon: message.location[1] }));
    }
    if (message.texts) { message.texts.forEach(function (text) { if (text) { paragraph(item, text, message.dir === "out"); } }); }
    if (message.text) { paragraph(item, message.text); }
  }
  function clearChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choices"), function (group) { group.remove(); });
    sendButton.classList.remove("secondary");
  }
  function choices(item, message) {
    var buttons = message.buttons || [];
    if (!buttons.length && message.request !== "location") { return; }
    clearChoices();
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", T["web.js.choices"]);
    if (buttons.length && buttons.every(function (b) { return b[1].length <= 3; })) {
      group.className += " numbers";
    }
    if (message.request === "location") {
      var share = document.createElement("button");
      share.type = "button";
      share.textContent = message.request_label || T["web.js.share_location"];
      share.addEventListener("click", shareLocation);
      group.appendChild(share);
    }
    var numbered = group.className.indexOf("numbers") < 0;
    buttons.forEach(function (pair, index) {
      var button = document.createElement("button");
      button.type = "button";
      if (numbered) {  // "gõ số thứ tự": the number the visitor may type instead
        var number = document.createElement("span");
        number.className = "num";
        number.setAttribute("aria-hidden", "true");
        number.textContent = (index + 1) + ".";
        button.appendChild(number);
      }
      button.appendChild(document.createTextNode(pair[1]));
      if (PRIMARY.indexOf(pair[0]) >= 0) {  // one clear submit action: the composer's button steps back
        button.className = "primary";
        sendButton.classList.add("secondary");
      }
      button.dataset.key = pair[0];
      button.addEventListener("click", function () { choose(pair[0], pair[1]); });
      group.appendChild(button);
    });
    item.appendChild(group);
  }
  function place(item, id) {
    // Keep transcript order even when frames arrive out of order (history and live pushes may cross).
    var after = null;
    Object.keys(shown).forEach(function (key) {
      var other = Number(key);
      if (other > id && (after === null || other < after)) { after = other; }
    });
    var firstPending = log.querySelector(".msg.pending");
    if (after !== null) { log.insertBefore(item, shown[after]); }
    else if (firstPending) { log.insertBefore(item, firstPending); }
    else { log.appendChild(item); }
  }
  function showMessage(message, latest) {
    if (shown[message.id]) { return; }
    var item = message.dir === "in" && message.client_id ? log.querySelector('[data-client="' + message.client_id + '"]') : null;
    if (item) {  // our own pending bubble: confirmed in place, so screen readers do not hear it twice
      item.classList.remove("pending", "failed");
      var state = item.querySelector(".state");
      if (state) { state.remove(); }
      stamp(item, message.at);
      delete pending[message.client_id];
      save();
    } else {
      item = bubble(message.dir);
      fillBody(item, message);
      stamp(item, message.at);
      place(item, message.id);
      if (message.dir === "in" && message.client_id && pending[message.client_id]) {
        delete pending[message.client_id];
        save();
      }
    }
    item.dataset.id = message.id;
    shown[message.id] = item;
    if (latest && message.dir === "out" && isReceipt(message)) { offerNotifications(item); }
    if (message.dir === "in") { clearChoices(); }
    else if (latest) { choices(item, message); }
  }
  function showPending(frame, display) {
    var item = bubble("in");
    item.classList.add("pending");
    item.dataset.client = frame.id;
    fillBody(item, display);
    var state = document.createElement("span");
    state.className = "state";
    state.textContent = online() ? T["web.js.sending"] : T["web.js.queued"];
    item.appendChild(state);
    log.appendChild(item);
    clearChoices();
    scrollDown();
  }
  function failPending(clientId, text) {
    var item = log.querySelector('[data-client="' + clientId + '"]');
    var frame = pending[clientId];
    delete pending[clientId];
    save();
    if (item) {
      item.classList.remove("pending");
      item.classList.add("failed");
      var state = item.querySelector(".state") || document.createElement("span");
      state.className = "state error";
      state.textContent = T["web.js.failed"];
      item.appendChild(state);
    }
    if (frame && frame.type === "text" && !input.value) { input.value = frame.text; }  // give the words back
    showError(text);
  }

  // --- the human check: a small proof of work before the socket may speak (bot/web/proof.py) ------------

  var SHA_K = (function () {
    var k = [], h = [], composite = {}, count = 0;
    for (var candidate = 2; count < 64; candidate++) {
      if (!composite[candidate]) {
        for (var i = 0; i < 313; i += candidate) { composite[i] = candidate; }
        h[count] = (Math.pow(candidate, 0.5) * 4294967296) | 0;
        k[count++] = (Math.pow(candidate, 1 / 3) * 4294967296) | 0;
      }
    }
    return { k: k, h: h.slice(0, 8) };
  })();
  var SHA_W = new Int32Array(64);
  function sha256Short(ascii) {  // SHA-256 of an ASCII string of at most 55 characters: 8 signed words
    var w = SHA_W, k = SHA_K.k, i;
    for (i = 0; i < 16; i++) { w[i] = 0; }
    for (i = 0; i < ascii.length; i++) { w[i >> 2] |= ascii.charCodeAt(i) << (24 - (i % 4) * 8); }
    w[ascii.length >> 2] |= 0x80 << (24 - (ascii.length % 4) * 8);
    w[15] = ascii.length * 8;
    for (i = 16; i < 64; i++) {
      var x = w[i - 15], y = w[i - 2];
      var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    var h0 = SHA_K.h, a = h0[0], b = h0[1], c = h0[2], d = h0[3], e = h0[4], f = h0[5], g = h0[6], h = h0[7];
    for (i = 0; i < 64; i++) {
      var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      var t1 = (h + S1 + ((e & f) ^ (~e & g)) + k[i] + w[i]) | 0;
      var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    return [(a + h0[0]) | 0, (b + h0[1]) | 0, (c + h0[2]) | 0, (d + h0[3]) | 0,
            (e + h0[4]) | 0, (f + h0[5]) | 0, (g + h0[6]) | 0, (h + h0[7]) | 0];
  }
  function zeroBits(words) {
    var bits = 0;
    for (var i = 0; i < words.length; i++) {
      var v = words[i] >>> 0;
      if (v === 0) { bits += 32; continue; }
      return bits + Math.clz32(v);
    }
    return bits;
  }
  function solveProof(challenge, bits) {
    for (var n = 0; ; n++) {
      if (zeroBits(sha256Short(challenge + ":" + n)) >= bits) { return String(n); }
    }
  }

  // --- talking to the server -------------------------------------------------------------------------

  function transmit(frame) {
    if (!online()) { return; }
    if ((frame.type === "photo" || frame.type === "voice") && !frame.attachment) { upload(frame); return; }
    socket.send(JSON.stringify(frame));
  }
  function markPending(text) {
    Array.prototype.forEach.call(log.querySelectorAll(".msg.pending .state"), function (s) { s.textContent = text; });
  }
  function post(frame, display) {
    pending[frame.id] = frame;
    save();
    showPending(frame, display);
    transmit(frame);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    setStatus(T["web.js.connecting"], "connecting");
    socket = new WebSocket(scheme + "//" + location.host + "/chat/ws" + query());
    socket.addEventListener("open", function () {
      retryDelay = 1000;
      setStatus(T["web.js.connected"], "online");
      showError("");
      markPending(T["web.js.sending"]);
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      receive(frame);
    });
    socket.addEventListener("close", function () {
      setStatus(T["web.js.reconnecting"], "offline");
      markPending(T["web.js.queued"]);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 8000);
    });
  }
  function receive(frame) {
    if (frame.type === "hello" && frame.proof) {
      // Solved before anything else is sent: the frames that follow (start, pending) reach a proven socket.
      transmit({ type: "proof", nonce: solveProof(frame.proof.challenge, frame.proof.bits) });
    } else if (frame.type === "history") {
      var messages = frame.messages || [];
      var lastOut = null;
      messages.forEach(function (m) { if (m.dir === "out") { lastOut = m.id; } });
      var lastIn = null;
      messages.forEach(function (m) { if (m.dir === "in") { lastIn = m.id; } });
      messages.forEach(function (m) { showMessage(m, m.id === lastOut && (lastIn === null || lastIn < lastOut)); });
      Object.keys(pending).forEach(function (id) {
        if (!log.querySelector('[data-client="' + id + '"]')) { showPending(pending[id], display(pending[id])); }
        transmit(pending[id]);
      });
      if (config.switchTo && !sentOnce) {  // the visitor chose a language: the bot speaks it too (and greets)
        sentOnce = true;
        transmit({ type: "language", id: newId(), lang: config.switchTo });
      }
      if (!messages.length && !sentOnce) { sentOnce = true; transmit({ type: "start" }); }
      scrollDown();
    } else if (frame.type === "message") {
      showMessage(frame, true);
      scrollDown();
    } else if (frame.type === "ack") {
      if (frame.duplicate) {
        var item = log.querySelector('[data-client="' + frame.client_id + '"]');
        if (item && !item.dataset.id) { item.remove(); }
        delete pending[frame.client_id];
        save();
      }
    } else if (frame.type === "error") {
      if (frame.client_id && pending[frame.client_id]) { failPending(frame.client_id, frame.text); }
      else { showError(frame.text); }
    }
  }
  function display(frame) {
    if (frame.type === "choice") { return { text: frame.label }; }
    if (frame.type === "location") { return { location: [frame.lat, frame.lon] }; }
    if (frame.type === "photo" || frame.type === "voice") {
      var isVoice = frame.type === "voice";
      return frame.attachment ? { attachments: [frame.attachment], voice: isVoice } : { preview: frame.preview, voice: isVoice };
    }
    return { text: frame.text };
  }

  // --- what the visitor does -------------------------------------------------------------------------

  function sendText() {
    var text = input.value.trim();
    if (!text) { return; }
    if (text.length > config.maxText) {
      showError(fill(T["web.error.too_long"], { limit: config.maxText, length: text.length }));
      return;
    }
    showError("");
    input.value = "";
    var frame = { type: "text", id: newId(), text: text };
    post(frame, display(frame));
  }
  function choose(key, label) {
    showError("");
    var frame = { type: "choice", id: newId(), key: key, label: label };
    post(frame, display(frame));
    input.focus();
  }
  function shareLocation() {
    if (!navigator.geolocation) { showError(T["web.js.location_unavailable"]); return; }
    setStatus(T["web.js.locating"]);
    navigator.geolocation.getCurrentPosition(function (position) {
      restoreStatus();
      var frame = { type: "location", id: newId(), lat: position.coords.latitude, lon: position.coords.longitude };
      post(frame, display(frame));
    }, function (error) {
      restoreStatus();
      showError(error.code === 1 ? T["web.js.location_denied"] : T["web.js.location_unavailable"]);
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  function sendPhoto(file) {
    if (config.photoTypes.indexOf(file.type) < 0) { showError(T["web.upload.wrong_type"]); return; }
    if (file.size > config.maxPhotoBytes) { showError(T["web.upload.too_large"]); return; }
    showError("");
    queueFile("photo", file);  // a data URL survives a reload in sessionStorage (when it fits)
  }
  function queueFile(type, file) {  // a photo or a recording: kept (as a data URL) until it is uploaded
    var frame = { type: type, id: newId() };
    photos[frame.id] = file;
    var reader = new FileReader();
    reader.onload = function () {
      frame.preview = reader.result;
      post(frame, display(frame));
    };
    reader.onerror = function () { showError(T["web.js.failed"]); };
    reader.readAsDataURL(file);
  }

  // --- voice messages: Opus in WebM, capped in length and size -----------------------------------------

  var voiceButton = document.getElementById("voice-button");
  var recorder = null;
  var ticking = null;  // the recording's clock on the button: it shows the recording runs, and for how long
  var voiceType = window.MediaRecorder && MediaRecorder.isTypeSupported &&
    MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : null;
  function record() {
    if (recorder) { recorder.stop(); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var chunks = [];
      recorder = new MediaRecorder(stream, { mimeType: voiceType, audioBitsPerSecond: 32000 });
      recorder.addEventListener("dataavailable", function (event) { if (event.data.size) { chunks.push(event.data); } });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        recorder = null;
        clearInterval(ticking);
        voiceButton.textContent = T["web.js.voice"];
        var blob = new Blob(chunks, { type: "audio/webm" });
        if (blob.size > config.maxVoiceBytes) { showError(T["web.upload.too_large"]); return; }
        if (blob.size) { queueFile("voice", blob); }
      });
      recorder.start(1000);
      var started = Date.now();
      var tick = function () {
        var seconds = Math.floor((Date.now() - started) / 1000);
        voiceButton.textContent = T["web.js.voice_stop"] + " " + Math.floor(seconds / 60) + ":" +
          ("0" + (seconds % 60)).slice(-2);
      };
      tick();
      ticking = setInterval(tick, 1000);
      setTimeout(function () { if (recorder) { recorder.stop(); } }, config.maxVoiceSeconds * 1000);
    }).catch(function () { showError(T["web.js.failed"]); });
  }
  if (voiceType && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    voiceButton.hidden = false;
    voiceButton.addEventListener("click", record);
  }

  function fileOf(frame) {
    if (photos[frame.id]) { return photos[frame.id]; }
    if (!frame.preview) { return null; }
    var parts = frame.preview.split(",");
    var mime = (parts[0].match(/data:([^;]+)/) || [])[1] || "image/jpeg";
    var bytes = atob(parts[1]);
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) { array[i] = bytes.charCodeAt(i); }
    return new Blob([array], { type: mime });
  }
  function upload(frame) {
    // One upload per frame at a time; the frame itself (one id) is what the server keeps exactly once.
    if (uploading[frame.id]) { return; }
    var file = fileOf(frame);
    if (!file) { failPending(frame.id, T["web.js.failed"]); return; }
    uploading[frame.id] = true;
    setStatus(T["web.js.uploading"], "online");
    var body = new FormData();
    body.append(frame.type, file, file.name || frame.type);
    fetch("/chat/upload" + query(), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        delete uploading[frame.id];
        if (online()) { setStatus(T["web.js.connected"], "online"); }
        if (!result.ok) { failPending(frame.id, result.data.error || T["web.js.failed"]); return; }
        frame.attachment = result.data.attachment;
        delete frame.preview;  // the server has it now; the queue stays small
        delete photos[frame.id];
        save();
        transmit(frame);
      })
      .catch(function () { delete uploading[frame.id]; });  // offline again: the next reconnect retries
  }
  function save() {
    try { sessionStorage.setItem(pendingKey, JSON.stringify(pending)); } catch (e) {
      // Too big for sessionStorage (a large photo): keep what fits; this page still holds the file.
      var light = {};
      Object.keys(pending).forEach(function (id) {
        var f = pending[id];
        light[id] = f.preview ? Object.assign({}, f, { preview: undefined }) : f;
      });
      try { sessionStorage.setItem(pendingKey, JSON.stringify(light)); } catch (e2) { /* private mode */ }
    }
  }

  // --- calling the citizen back (Web Push), offered once a case is filed --------------------------------

  function isReceipt(message) {
    return (message.texts || []).some(function (text) { return text.indexOf("/track?t=") >= 0; });
  }
  function pushReady() {
    return config.pushKey && !config.seat && "serviceWorker" in navigator && "PushManager" in window &&
      "Notification" in window && Notification.permission !== "denied";
  }
  function offerNotifications(item) {
    if (!pushReady() || localStorage.getItem("tiepdan-push") === config.pushKey) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "notify";
    button.textContent = T["web.js.notify"];
    button.addEventListener("click", function () { button.disabled = true; subscribePush(button); });
    item.appendChild(button);
  }
  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - base64url.length % 4) % 4));
    return Uint8Array.from(text, function (c) { return c.charCodeAt(0); });
  }
  function subscribePush(button) {
    Notification.requestPermission().then(function (answer) {
      if (answer !== "granted") { throw new Error("denied"); }
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(config.pushKey) });
    }).then(function (subscription) {
      return fetch("/chat/push" + query(), { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(subscription) });
    }).then(function (response) {
      if (!response.ok) { throw new Error("refused"); }
      localStorage.setItem("tiepdan-push", config.pushKey);
      paragraph(button.parentNode, T["web.js.notify_on"]);
      button.remove();
    }).catch(function () {
      showError(T["web.js.notify_off"]);
      button.remove();
    });
  }
  if ("serviceWorker" in navigator) {  // the offline shell (and the push handler); the page works without it
    navigator.serviceWorker.register("/chat/sw.js", { scope: "/chat" }).catch(function () { /* unsupported */ });
  }

  // --- one screen tall, also with the on-screen keyboard open ----------------------------------------

  function fitViewport() {
    var height = window.visualViewport ? window.visualViewport.height : window.innerHeight;
    document.body.style.setProperty("--vvh", Math.round(height) + "px");
    if (window.visualViewport) { document.body.style.top = Math.round(window.visualViewport.offsetTop) + "px"; }
    if (document.scrollingElement && document.scrollingElement.scrollTop) { document.scrollingElement.scrollTop = 0; }
  }
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", fitViewport);
    window.visualViewport.addEventListener("scroll", fitViewport);
  }
  window.addEventListener("resize", fitViewport);
  window.addEventListener("online", function () {  // the network is back: do not wait for the back-off
    if (!online()) { clearTimeout(retryTimer); retryDelay = 1000; connect(); }
  });
  window.addEventListener("offline", function () { setStatus(T["web.js.reconnecting"], "offline"); });
  input.addEventListener("focus", function () { setTimeout(scrollDown, 300); });
  fitViewport();

  form.addEventListener("submit", function (event) { event.preventDefault(); sendText(); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendText(); }
  });
  photoButton.addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () {
    if (photoInput.files && photoInput.files[0]) { sendPhoto(photoInput.files[0]); }
    photoInput.value = "";
  });
  locationButton.addEventListener("click", shareLocation);

  // What waited to be sent before a reload shows at once, also on the offline copy of the page (sw.js).
  Object.keys(pending).forEach(function (id) { showPending(pending[id], display(pending[id])); });
  connect();
})();
