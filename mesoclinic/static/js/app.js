// Small behaviours that CSP allows (no inline script): dismissing inline forms.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (button) {
    const form = button.closest("form");
    if (form) form.remove();
  }
});
// Move focus to the first invalid field after an HTMX swap, so errors are announced.
document.addEventListener("htmx:afterSwap", (event) => {
  const invalid = event.detail.target.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (invalid) invalid.focus();
});
