// The move picker: a free-slot button fills the time field (the form still posts plain fields).
document.addEventListener("click", (event) => {
  const button = event.target.closest(".slot[data-time]");
  if (!button) return;
  const time = document.getElementById("id_time");
  if (time) time.value = button.dataset.time;
  document.querySelectorAll(".slot[data-time]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
});
// The booking form: the length follows the chosen treatment (its free times say how long).
document.addEventListener("htmx:afterSwap", (event) => {
  const found = event.target.querySelector && event.target.querySelector("[data-minutes]");
  const minutes = document.getElementById("id_minutes");
  if (found && minutes) minutes.value = found.dataset.minutes;
});
