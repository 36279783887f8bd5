// Camera scanning (issue 11 §1) for tablets without a hand scanner.
//
//   <button data-camera-for="#scan">   opens the camera dialog (templates/_camera.html) for that field
//
// Frames from the camera are decoded in the browser by jsQR (npm jsqr 1.4.0, vendored under static/vendor;
// loaded on the first tap only, from the hub itself: no CDN, works with the network cable out): the QR codes
// of tags and receipts. (ZXing's JavaScript port was tried first and missed the hub's own printed tags at
// most sizes; jsQR read them at every size tried.) Each code read goes into the field and the field's form is submitted,
// exactly as a keyboard-wedge scanner's Enter would, so the till's own rules apply (an item already in the
// cart, a sold item, a receipt QR). Scanning goes on until the dialog is closed; a form that leaves the page
// (refund lookup, item search) ends it. The same code seen again within 2.5 s is the same tag still in front
// of the lens and is not sent twice. A read beeps and vibrates where the device can.
//
// Browsers give the camera to secure contexts only: the hub's own screen (localhost) or HTTPS. Elsewhere the
// dialog says so instead of failing silently.
(function () {
  var SAME_CODE_MS = 2500;
  var FRAME_MS = 120;
  var MAX_WIDTH = 800;
  var dialog, video, status, choice, torch, field, stream, timer, canvas, context;
  var lastCode = "", lastAt = 0, audio;

  function say(text) { status.textContent = text; }

  function loadDecoder() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = dialog.getAttribute("data-decoder");
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 1760;
      gain.gain.value = 0.15;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.08);
    } catch (e) { /* no sound on this device */ }
    if (navigator.vibrate) navigator.vibrate(60);
  }

  function found(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < SAME_CODE_MS) { lastAt = now; return; }
    lastCode = code;
    lastAt = now;
    beep();
    say(dialog.getAttribute("data-read") + " " + code);
    var input = document.querySelector(field);
    if (!input) return;
    input.value = code;
    var form = input.form;
    if (form) {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  }

  function tick() {
    timer = null;
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(pixels.data, canvas.width, canvas.height, {inversionAttempts: "dontInvert"});
      if (code && code.data) found(code.data);
    }
    timer = setTimeout(tick, FRAME_MS);
  }

  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
  }

  function listCameras(current) {
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var cameras = devices.filter(function (d) { return d.kind === "videoinput"; });
      choice.textContent = "";
      cameras.forEach(function (camera, n) {
        var option = document.createElement("option");
        option.value = camera.deviceId;
        option.textContent = camera.label || (dialog.querySelector("label[for=camera-choice]").textContent + " " + (n + 1));
        option.selected = camera.deviceId === current;
        choice.appendChild(option);
      });
      choice.disabled = cameras.length < 2;
    });
  }

  function start(deviceId) {
    stop();
    var video_ = deviceId ? {deviceId: {exact: deviceId}} : {facingMode: {ideal: "environment"}};
    return navigator.mediaDevices.getUserMedia({video: video_, audio: false}).then(function (got) {
      stream = got;
      video.srcObject = stream;
      return video.play().catch(function () { /* autoplay refused: frames still arrive */ });
    }).then(function () {
      var track = stream.getVideoTracks()[0];
      var settings = track.getSettings ? track.getSettings() : {};
      var capable = track.getCapabilities ? track.getCapabilities() : {};
      torch.hidden = !capable.torch;
      torch.setAttribute("aria-pressed", "false");
      say(dialog.getAttribute("data-looking"));
      tick();
      return listCameras(settings.deviceId);
    }).catch(function (error) {
      stop();
      say(dialog.getAttribute(error && error.name === "NotFoundError" ? "data-nocamera" : "data-denied"));
    });
  }

  function open(button) {
    dialog = document.getElementById("camera");
    if (!dialog) return;
    video = document.getElementById("camera-video");
    status = document.getElementById("camera-status");
    choice = dialog.querySelector("[data-camera-choice]");
    torch = dialog.querySelector("[data-camera-torch]");
    field = button.getAttribute("data-camera-for");
    canvas = canvas || document.createElement("canvas");
    context = context || canvas.getContext("2d", {willReadFrequently: true});
    lastCode = "";
    if (!dialog.open) dialog.showModal();
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(dialog.getAttribute("data-insecure"));
      document.getElementById("camera-connect").hidden = false;
      return;
    }
    say("…");
    loadDecoder().then(function () { return start(null); }).catch(function () { say(dialog.getAttribute("data-denied")); });
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-camera-for]");
    if (button) { evt.preventDefault(); open(button); return; }
    if (evt.target.closest && evt.target.closest("[data-camera-close]")) { stop(); dialog.close(); return; }
    var light = evt.target.closest && evt.target.closest("[data-camera-torch]");
    if (light && stream) {
      var on = light.getAttribute("aria-pressed") !== "true";
      stream.getVideoTracks()[0].applyConstraints({advanced: [{torch: on}]}).then(function () {
        light.setAttribute("aria-pressed", on ? "true" : "false");
      }).catch(function () { light.hidden = true; });
    }
  });
  document.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches("[data-camera-choice]")) start(evt.target.value);
  });
  document.addEventListener("close", function (evt) {
    if (evt.target && evt.target.id === "camera") stop();
  }, true);
  window.addEventListener("pagehide", function () { if (stream) stop(); });
})();
