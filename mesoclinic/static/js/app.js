// Small behaviours that CSP allows (no inline script): dismissing inline forms.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (button) {
    const form = button.closest("form");
    if (form) form.remove();
  }
});
// Move focus to the first invalid field after an HTMX swap, so errors are announced.
// A refusal is shown where the user is looking: scroll it (or the first invalid field) into view.
function revealRefusal(root) {
  const refusal = root.querySelector("[data-scroll-into-view]");
  const invalid = root.querySelector(".has-error input, .has-error select, .has-error textarea");
  const target = refusal || (invalid && invalid.closest(".field, .has-error")) || invalid;
  if (target) target.scrollIntoView({ block: "center" });
  if (invalid) invalid.focus({ preventScroll: true });
}
// After an outerHTML swap the event's target is the element that was replaced: look in the
// page, once HTMX has settled the new content.
document.addEventListener("htmx:afterSettle", () => revealRefusal(document));
document.addEventListener("DOMContentLoaded", () => revealRefusal(document));

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Signature pad: strokes become SVG path data in a hidden input (no image upload, no inline script).
function initSignaturePads(root) {
  root.querySelectorAll("canvas.sigpad").forEach((canvas) => {
    if (canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    const input = document.getElementById(canvas.dataset.target);
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    let drawing = false;
    const pos = (e) => {
      const r = canvas.getBoundingClientRect();
      return [Math.round((e.clientX - r.left) * canvas.width / r.width),
              Math.round((e.clientY - r.top) * canvas.height / r.height)];
    };
    canvas.addEventListener("pointerdown", (e) => {
      drawing = true; canvas.setPointerCapture(e.pointerId);
      const [x, y] = pos(e); ctx.beginPath(); ctx.moveTo(x, y);
      input.value += `M${x} ${y} `;
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = pos(e); ctx.lineTo(x, y); ctx.stroke();
      input.value += `L${x} ${y} `;
    });
    const stop = () => { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
  });
}
document.addEventListener("click", (event) => {
  const clear = event.target.closest("[data-clear-signature]");
  if (!clear) return;
  const input = document.getElementById(clear.dataset.clearSignature);
  input.value = "";
  const canvas = document.querySelector(`canvas.sigpad[data-target="${input.id}"]`);
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
});

// Where a tap landed, in the SVG's own units (the diagrams' millimetres).
function tapInSvg(svg, event) {
  const pt = svg.createSVGPoint();
  pt.x = event.clientX; pt.y = event.clientY;
  return pt.matrixTransform(svg.getScreenCTM().inverse());
}

// Tap inside a planned area (not on a point) to add an injection point there.
document.addEventListener("click", (event) => {
  const area = event.target.closest("svg[data-editable] path.planned");
  if (!area || typeof htmx === "undefined") return;
  const svg = area.ownerSVGElement;
  const local = tapInSvg(svg, event);
  htmx.ajax("POST", svg.dataset.pointUrl, {
    target: "#editor", swap: "outerHTML",
    values: { item: area.dataset.item, side: area.dataset.side, x: local.x.toFixed(1),
              y: local.y.toFixed(1), lock_version: svg.dataset.lock },
  });
});

document.addEventListener("DOMContentLoaded", () => initSignaturePads(document));
document.addEventListener("htmx:load", (event) => initSignaturePads(event.detail.elt));

// Keyboard users: Enter or Space on an SVG "button" (a region or a point) acts as a tap.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" && event.key !== " ") return;
  const el = event.target;
  if (el instanceof SVGElement && el.getAttribute("role") === "button") {
    event.preventDefault();
    el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  }
});

// Session charting: tap inside a charted area (not on a point) to add a point where the needle went.
document.addEventListener("click", (event) => {
  const area = event.target.closest("svg[data-session-editable] path.planned");
  if (!area || typeof htmx === "undefined") return;
  const svg = area.ownerSVGElement;
  const local = tapInSvg(svg, event);
  htmx.ajax("POST", svg.dataset.sessionPointUrl, {
    target: "#chart", swap: "outerHTML",
    values: { x: local.x.toFixed(1), y: local.y.toFixed(1) },
  });
});

// Plan editor: tap a planned point in a close-up to remove it (points are plain circles).
document.addEventListener("click", (event) => {
  const point = event.target.closest("svg[data-editable] circle.point[data-index]");
  if (!point || typeof htmx === "undefined") return;
  const svg = point.ownerSVGElement;
  htmx.ajax("POST", svg.dataset.pointUrl, {
    target: "#editor", swap: "outerHTML",
    values: { item: svg.dataset.item, side: svg.dataset.side, remove: point.dataset.index,
              lock_version: svg.dataset.lock },
  });
});

// Top-bar menus (<details class="menu">): one open at a time; a click elsewhere or Escape
// closes them, and Escape gives the focus back to the menu's button.
function closeMenus(except) {
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (menu !== except) menu.removeAttribute("open");
  });
}
document.addEventListener("click", (event) => closeMenus(event.target.closest("details.menu")));
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = document.querySelector("details.menu[open]");
  if (!open) return;
  closeMenus(null);
  open.querySelector("summary").focus();
});
