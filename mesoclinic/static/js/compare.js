// Photo comparison: the after photo over the before one, cut by a movable boundary
// (slider) or faded in (overlay). The server gives the matrix that lines the after
// photo up on the before one in screen-image pixels; here it is scaled to the size
// the before photo is displayed at, again whenever that size changes.
(function () {
  "use strict";
  var stage = document.querySelector("[data-compare]");
  if (!stage) return;
  var before = stage.querySelector(".compare-before");
  var clip = stage.querySelector("[data-compare-after]");
  var after = clip.querySelector("img");
  var divider = stage.querySelector("[data-compare-divider]");
  var boundary = document.querySelector("[data-compare-boundary]");
  var opacity = document.querySelector("[data-compare-opacity]");
  var beforeWidth = parseFloat(stage.getAttribute("data-before-width"));
  var afterWidth = parseFloat(stage.getAttribute("data-after-width"));
  var given = stage.getAttribute("data-matrix");
  // Not lined up: the after photo is only scaled to the before photo's width.
  var m = given ? given.split(" ").map(parseFloat)
    : [beforeWidth / afterWidth, 0, 0, beforeWidth / afterWidth, 0, 0];

  function place() {
    var k = before.clientWidth / beforeWidth;
    if (!k) return;
    after.style.width = (afterWidth * k) + "px";
    after.style.transform = "matrix(" + [m[0], m[1], m[2], m[3], m[4] * k, m[5] * k].join(",") + ")";
  }
  function mode(name) {
    stage.setAttribute("data-mode", name);
    document.querySelectorAll("[data-compare-mode]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-compare-mode") === name ? "true" : "false");
    });
    document.querySelectorAll("[data-compare-for]").forEach(function (l) {
      l.hidden = l.getAttribute("data-compare-for") !== name;
    });
    show();
  }
  function show() {
    if (stage.getAttribute("data-mode") === "slider") {
      clip.style.clipPath = "inset(0 0 0 " + boundary.value + "%)";
      clip.style.opacity = "1";
      divider.style.left = boundary.value + "%";
      divider.hidden = false;
    } else {
      clip.style.clipPath = "none";
      clip.style.opacity = String(opacity.value / 100);
      divider.hidden = true;
    }
  }
  document.querySelectorAll("[data-compare-mode]").forEach(function (b) {
    b.addEventListener("click", function () { mode(b.getAttribute("data-compare-mode")); });
  });
  boundary.addEventListener("input", show);
  opacity.addEventListener("input", show);
  before.addEventListener("load", place);
  // The before photo's displayed size changes with the window and the layout: the
  // after photo is scaled again with it.
  if (window.ResizeObserver) new ResizeObserver(place).observe(before);
  else window.addEventListener("resize", place);
  stage.classList.add("ready");
  place();
  mode("slider");
})();
