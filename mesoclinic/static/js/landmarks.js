// Landmark placement: tap the photo to place the chosen landmark, drag a point to
// move it, zoom with the buttons (the viewport scrolls to pan). Positions are kept
// in the form's hidden inputs as fractions of the image, so nothing lives only here.
(function () {
  "use strict";
  var stage = document.querySelector("[data-landmarks-stage]");
  if (!stage) return;
  var canvas = stage.querySelector(".landmarks-canvas");
  var img = canvas.querySelector("img");
  var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-landmark]"));
  var zoom = 1;
  var current = 0;
  var dragging = null;

  function inputs(button) {
    var li = button.parentNode;
    return li.querySelectorAll("input[type=hidden]");
  }
  function select(i) {
    current = Math.max(0, Math.min(i, buttons.length - 1));
    buttons.forEach(function (b, j) { b.setAttribute("aria-pressed", j === current ? "true" : "false"); });
  }
  function marker(button) {
    var name = button.getAttribute("data-landmark");
    var m = canvas.querySelector('[data-marker="' + name + '"]');
    if (!m) {
      m = document.createElement("span");
      m.className = "landmark-marker";
      m.setAttribute("data-marker", name);
      m.title = button.textContent;
      canvas.appendChild(m);
    }
    return m;
  }
  function draw(button) {
    var pair = inputs(button);
    if (pair[0].value === "") return;
    var m = marker(button);
    m.style.left = (parseFloat(pair[0].value) * 100) + "%";
    m.style.top = (parseFloat(pair[1].value) * 100) + "%";
  }
  function fraction(event) {
    var box = img.getBoundingClientRect();
    var x = (event.clientX - box.left) / box.width;
    var y = (event.clientY - box.top) / box.height;
    return [Math.max(0, Math.min(1, x)), Math.max(0, Math.min(1, y))];
  }
  function put(button, f) {
    var pair = inputs(button);
    pair[0].value = f[0].toFixed(5);
    pair[1].value = f[1].toFixed(5);
    button.setAttribute("data-placed", "");
    draw(button);
  }
  buttons.forEach(function (b, i) {
    b.addEventListener("click", function () { select(i); });
    draw(b);
  });
  // A press on a point that then moves drags it; a press that does not move is a
  // tap, which places the chosen landmark (points close together stay tappable).
  var pressed = null;
  canvas.addEventListener("pointerdown", function (event) {
    var name = event.target.getAttribute("data-marker");
    pressed = { x: event.clientX, y: event.clientY, button: null };
    if (name) {
      pressed.button = buttons.filter(function (b) { return b.getAttribute("data-landmark") === name; })[0];
      canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
    }
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!pressed || !pressed.button) return;
    if (!dragging && Math.abs(event.clientX - pressed.x) + Math.abs(event.clientY - pressed.y) > 8) {
      dragging = pressed.button;
    }
    if (dragging) put(dragging, fraction(event));
  });
  canvas.addEventListener("pointerup", function (event) {
    var wasDragging = dragging;
    dragging = null;
    pressed = null;
    if (wasDragging) return;
    put(buttons[current], fraction(event));
    select(current + 1);
  });
  stage.querySelectorAll("[data-zoom]").forEach(function (z) {
    z.addEventListener("click", function () {
      zoom = z.getAttribute("data-zoom") === "in" ? Math.min(zoom * 1.5, 6) : Math.max(zoom / 1.5, 1);
      canvas.style.width = (zoom * 100) + "%";
    });
  });
  var first = buttons.findIndex(function (b) { return !b.hasAttribute("data-placed"); });
  select(first === -1 ? 0 : first);
})();
