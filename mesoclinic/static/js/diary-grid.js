// The diary's time grid: select a block (tap, click or Enter) to show Open and Move; drag a
// block (a mouse at once, a finger once it is selected), or press the arrow keys on a
// selected one, to move it to another time or column. A drop
// posts to the board's move address, which runs the move form's checks and answers the
// board again, moved or with the reason next to the block. Places are classes, never styles.
(() => {
  const SNAP = 15; // minutes: drops land on the quarter-hour grid the diary books on
  const ROW = 5; // minutes per grid row (board.ROW_MINUTES)
  const FIRST_ROW = 3; // board.FIRST_ROW
  let drag = null;
  let swallowClick = false;

  const hhmm = (minute) => `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

  function deselect(blk) {
    if (blk.classList.contains("refused")) blk.querySelector(".blk-refusal")?.remove();
    blk.classList.remove("selected", "refused");
    const actions = blk.querySelector(".blk-actions");
    if (actions) actions.hidden = true;
  }

  function select(blk) {
    document.querySelectorAll(".blk.selected").forEach((b) => b !== blk && deselect(b));
    blk.classList.add("selected");
    const actions = blk.querySelector(".blk-actions");
    if (!actions) return;
    actions.hidden = false;
    const links = actions.querySelectorAll("a");
    links[links.length - 1]?.focus();
  }

  document.addEventListener("click", (event) => {
    if (swallowClick) {
      swallowClick = false;
      event.preventDefault();
      return;
    }
    const main = event.target.closest(".blk-main");
    const blk = main && main.closest(".blk");
    if (!blk) {
      if (!event.target.closest(".blk")) document.querySelectorAll(".blk.selected").forEach(deselect);
      return;
    }
    if (blk.classList.contains("selected")) return; // a second tap opens the appointment
    event.preventDefault();
    select(blk);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const blk = event.target.closest && event.target.closest(".blk.selected");
    if (!blk) return;
    deselect(blk);
    blk.querySelector(".blk-main")?.focus();
  });

  function laneAt(grid, x, y) {
    for (const lane of grid.querySelectorAll(".lane")) {
      const r = lane.getBoundingClientRect();
      if (x >= r.left && x < r.right && y >= r.top - 40 && y < r.bottom + 40) return lane;
    }
    return null;
  }

  document.addEventListener("pointerdown", (event) => {
    const blk = event.target.closest(".blk[data-movable]");
    if (!blk || event.button !== 0 || event.target.closest(".blk-actions")) return;
    if (event.pointerType !== "mouse" && !blk.classList.contains("selected")) return;
    const top = blk.getBoundingClientRect().top;
    drag = { blk, grid: blk.closest(".grid"), x: event.clientX, y: event.clientY, grab: event.clientY - top, moved: false, id: event.pointerId, to: null };
  });

  document.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 6) return;
    event.preventDefault();
    const { blk, grid } = drag;
    if (!drag.moved) {
      drag.moved = true;
      blk.classList.add("dragging");
      if (blk.setPointerCapture) blk.setPointerCapture(event.pointerId);
    }
    const mark = grid.querySelector(".drop-mark");
    const lane = laneAt(grid, event.clientX, event.clientY);
    if (!lane) {
      mark.hidden = true;
      drag.to = null;
      return;
    }
    const rows = Number(grid.dataset.rows);
    const start = Number(grid.dataset.start);
    const span = Number(blk.dataset.rows);
    const box = lane.getBoundingClientRect();
    const offset = ((event.clientY - drag.grab - box.top) / box.height) * rows * ROW;
    let minute = start + Math.round(offset / SNAP) * SNAP;
    minute = Math.max(start, Math.min(minute, start + (rows - span) * ROW));
    mark.className = `drop-mark gc-${lane.dataset.column} gr-${FIRST_ROW + (minute - start) / ROW} gs-${span}`;
    mark.textContent = `${hhmm(minute)} · ${lane.dataset.label}`;
    mark.hidden = false;
    drag.to = { lane, time: hhmm(minute) };
  });

  function finish(event, drop) {
    if (!drag || event.pointerId !== drag.id) return;
    const { blk, grid, moved, to } = drag;
    drag = null;
    grid.querySelector(".drop-mark").hidden = true;
    blk.classList.remove("dragging");
    if (!moved) return;
    swallowClick = true;
    setTimeout(() => { swallowClick = false; }, 0);
    if (!drop || !to) return;
    post(blk, grid, to.lane, to.time);
  }

  // Where a move lands, dropped or keyed: the board answers moved, or with the reason.
  let refocus = null;
  function post(blk, grid, lane, time) {
    if (lane.dataset.column === blk.dataset.column && time === blk.dataset.start) return;
    const values = {
      appointment: blk.dataset.appointment,
      lock_version: blk.dataset.lock,
      date: lane.dataset.day,
      time,
      csrfmiddlewaretoken: grid.dataset.csrf,
    };
    if (lane.dataset.practitioner) values.practitioner = lane.dataset.practitioner;
    if (lane.dataset.room) values.room = lane.dataset.room;
    blk.classList.add("dragging");
    window.htmx.ajax("POST", grid.dataset.drop, { target: "#board", swap: "innerHTML", values });
  }

  // The keyboard's drag: on a selected block, up and down move it a quarter-hour, left and
  // right to the neighbouring column; the block keeps the focus on the new board, so the
  // next key moves it again (a refusal is read out: it is an alert beside the block).
  const STEPS = { ArrowUp: [0, -SNAP], ArrowDown: [0, SNAP], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
  document.addEventListener("keydown", (event) => {
    const step = STEPS[event.key];
    const blk = step && event.target.closest && event.target.closest(".blk.selected[data-movable]");
    if (!blk) return;
    event.preventDefault();
    const grid = blk.closest(".grid");
    const lanes = [...grid.querySelectorAll(".lane")];
    const here = lanes.findIndex((l) => l.dataset.column === blk.dataset.column);
    const lane = lanes[here + step[0]];
    if (!lane) return;
    const [h, m] = blk.dataset.start.split(":").map(Number);
    const start = Number(grid.dataset.start);
    const last = start + (Number(grid.dataset.rows) - Number(blk.dataset.rows)) * ROW;
    const minute = Math.max(start, Math.min(h * 60 + m + step[1], last));
    refocus = blk.dataset.appointment;
    post(blk, grid, lane, hhmm(minute));
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!refocus) return;
    const blk = document.querySelector(`.blk[data-appointment="${refocus}"]`);
    refocus = null;
    if (blk) select(blk);
  });

  // A link dragged natively would cancel the pointer stream half-way.
  document.addEventListener("dragstart", (event) => {
    if (event.target.closest && event.target.closest(".blk")) event.preventDefault();
  });
  document.addEventListener("pointerup", (event) => finish(event, true));
  document.addEventListener("pointercancel", (event) => finish(event, false));
})();
