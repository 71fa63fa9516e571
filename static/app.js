// The one script of the staff app: after adding a document, the words "Added to the
// packet" beside it take the focus, so a screen reader says them at once, as the eye
// sees them. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  const said = document.querySelector("[data-focus]");
  if (said) said.focus({ preventScroll: false });
});
