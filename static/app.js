// The one script of the staff app: after adding a document, the words "Added to the
// packet" beside it take the focus, so a screen reader says them at once, as the eye
// sees them. After the page has loaded and scrolled to the card: scrolling to a
// fragment would otherwise take the focus back. Everything works without it.
window.addEventListener("load", () => {
  const said = document.querySelector("[data-focus]");
  if (said) setTimeout(() => said.focus(), 0);
});
