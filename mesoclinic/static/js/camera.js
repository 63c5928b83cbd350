// The live camera on the patient photos page (photos/_live_camera.html): the camera's
// picture with a faint ghost of the chosen view's first photo over it, so that a new
// photo is taken from the same distance and angle. The frame taken becomes a JPEG file in
// the form's camera input and the form is sent as any other: the server checks its
// content, strips its metadata and encrypts it the same way. Where the browser may not
// open a camera (no secure context, no camera, permission refused) the two file inputs
// do all of it, with or without this script.
(function () {
  "use strict";
  var panel = document.querySelector("[data-camera]");
  var offer = document.querySelector("[data-camera-offer]");
  if (!panel || !offer) return;
  var media = navigator.mediaDevices;
  if (!window.isSecureContext || !media || !media.getUserMedia || !window.DataTransfer
      || !HTMLCanvasElement.prototype.toBlob) return;

  var form = panel.closest("form");
  var taken = form.querySelector("#id_photo");
  var chosen = form.querySelector("#id_photo_file");
  var view = form.querySelector("#id_view");
  var video = panel.querySelector("[data-camera-video]");
  var shot = panel.querySelector("[data-camera-shot]");
  var stage = panel.querySelector("[data-camera-stage]");
  var caption = panel.querySelector("[data-camera-caption]");
  var fade = panel.querySelector("[data-camera-fade]");
  var opacity = panel.querySelector("[data-camera-opacity]");
  var takeButton = panel.querySelector("[data-camera-take]");
  var againButton = panel.querySelector("[data-camera-again]");
  var stopButton = panel.querySelector("[data-camera-stop]");
  var status = document.querySelector("[data-camera-status]");  // beside the inputs
  var said = panel.querySelector("[data-camera-said]");  // beside the picture
  var ghosts = {};
  panel.querySelectorAll("[data-camera-ghosts] li").forEach(function (item) {
    ghosts[item.getAttribute("data-view")] = {
      src: item.getAttribute("data-src"),
      caption: item.getAttribute("data-caption"),
    };
  });
  var stream = null;
  var holdsShot = false;  // the camera input holds a frame taken here, not a chosen file

  function say(text) { status.textContent = text; }

  // One image per view, made when first seen and kept: switching views back and forth
  // asks for each image once (each image served is audited).
  function ghostOf(first) {
    if (!first.img) {
      first.img = document.createElement("img");
      first.img.className = "live-ghost";
      first.img.alt = "";
      first.img.setAttribute("src", first.src);
      stage.appendChild(first.img);
      showOpacity();
    }
    return first.img;
  }

  function showGhost() {
    var live = panel.getAttribute("data-state") === "live";
    var first = ghosts[view.value];
    var shown = first && live ? ghostOf(first) : null;
    stage.querySelectorAll(".live-ghost").forEach(function (img) { img.hidden = img !== shown; });
    if (first) caption.textContent = first.caption;
    else if (view.value) caption.textContent = "No earlier photo of this view: nothing to line up with.";
    else caption.textContent = "Choose the view above to see its first photo over the camera.";
    fade.hidden = !shown;
  }

  function showOpacity() {
    stage.querySelectorAll(".live-ghost").forEach(function (img) {
      img.style.opacity = String(opacity.value / 100);
    });
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
  }

  function state(name) {
    panel.hidden = name === "off";
    panel.setAttribute("data-state", name);
    video.hidden = name !== "live";
    shot.hidden = name !== "shot";
    takeButton.hidden = name !== "live";
    stopButton.hidden = name !== "live";
    againButton.hidden = name !== "shot";
    caption.hidden = name !== "live";
    said.textContent = name === "shot"
      ? "Photo taken. Press Keep the photo to keep it, or take it again." : "";
    showGhost();
  }

  function refused(error) {
    var reason = error && error.name === "NotAllowedError"
      ? "Permission to use the camera was refused."
      : "The camera could not be opened.";
    say(reason + " The two inputs above still take or choose the photo.");
  }

  function start() {
    stop();
    say("Opening the camera…");
    media.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1440 } },
      audio: false,
    }).then(function (opened) {
      stream = opened;
      opened.getVideoTracks().forEach(function (track) {
        // Another app took the camera, or it was unplugged.
        track.addEventListener("ended", function () { if (stream === opened) off(); });
      });
      video.srcObject = opened;
      return video.play();
    }).then(function () {
      state("live");
      say("");
      panel.scrollIntoView({ block: "start" });
      takeButton.focus({ preventScroll: true });
    }).catch(function (error) {
      stop();
      state("off");
      refused(error);
    });
  }

  function off() {
    stop();
    state("off");
  }

  function fileName() {
    var d = new Date();
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return "live-camera-" + d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate())
      + "-" + pad(d.getHours()) + pad(d.getMinutes()) + pad(d.getSeconds()) + ".jpg";
  }

  function take() {
    var width = video.videoWidth;
    var height = video.videoHeight;
    if (!width || !height) return;
    shot.width = width;
    shot.height = height;
    shot.getContext("2d").drawImage(video, 0, 0, width, height);
    shot.toBlob(function (blob) {
      if (!blob) {
        say("The photo could not be made here. The two inputs above still take or choose it.");
        return;
      }
      var files = new DataTransfer();
      files.items.add(new File([blob], fileName(), { type: "image/jpeg", lastModified: Date.now() }));
      taken.files = files.files;
      chosen.value = "";
      holdsShot = true;
      stop();
      state("shot");
    }, "image/jpeg", 0.92);
  }

  // One photo at a time: a file chosen in one input empties the other, and any frame taken.
  function onlyThis(input, other) {
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      other.value = "";
      if (holdsShot) {
        holdsShot = false;
        off();
        say("");
      }
    });
  }
  onlyThis(taken, chosen);
  onlyThis(chosen, taken);

  offer.querySelector("[data-camera-start]").addEventListener("click", start);
  againButton.addEventListener("click", start);
  takeButton.addEventListener("click", take);
  stopButton.addEventListener("click", off);
  view.addEventListener("change", showGhost);
  opacity.addEventListener("input", showOpacity);
  form.addEventListener("submit", stop);
  // A camera left on drains a tablet and keeps its light lit: off when the page goes.
  window.addEventListener("pagehide", stop);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) off();
  });
  showOpacity();
  offer.hidden = false;
})();
