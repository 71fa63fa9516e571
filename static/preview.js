// The preview: ask the server for the view, newest first, and draw it. Each request
// waits at the server until there is something newer (a long poll), so a saved edit
// shows as soon as its pages are ready, with no reloading of the page.
"use strict";

let version = 0;
let chosen = {};           // what the writer picked, sent with the next request only
let request = null;        // the poll under way, cut short when the writer picks
let drawn = {};            // the version of the images on screen, by format
const $ = (id) => document.getElementById(id);

async function poll() {
  for (;;) {
    const query = new URLSearchParams({ after: String(version), ...chosen });
    chosen = {};
    request = new AbortController();
    try {
      const response = await fetch("/state?" + query, { signal: request.signal });
      if (!response.ok) throw new Error(String(response.status));
      const view = await response.json();
      version = view.version;
      draw(view);
    } catch (error) {
      if (error.name !== "AbortError") {
        $("status").textContent = "The preview has stopped: start it again, then reload this page.";
        await new Promise((done) => setTimeout(done, 2000));
      }
    }
  }
}

function choose(what) {
  chosen = what;
  version = 0;             // whatever is newest, at once
  if (request) request.abort();
}

function draw(view) {
  drawChoices(view);
  const failed = view.errors.length > 0;
  $("errors").hidden = !failed;
  $("error-lines").replaceChildren(...view.errors.map(problem));
  const count = view.pages[view.format] || 0;
  $("last-good").hidden = !(failed && count);
  drawPages(view, count);
  $("reading").textContent = view.reading ? "Reading level: " + view.reading : "";
  const notes = $("notes");
  notes.replaceChildren(...view.notes.map((text) => {
    const item = document.createElement("li");
    item.append(problem(text));
    return item;
  }));
  $("no-findings").hidden = view.busy || view.notes.length > 0;
  $("status").textContent = view.busy ? "Updating " + view.source + "…"
    : view.source + ": up to date at " + new Date().toLocaleTimeString();
}

// One problem as `check` prints it: its line, then the source line with a caret under
// the place, which must keep its spacing to point at the right word.
function problem(text) {
  const [line, ...excerpt] = text.split("\n");
  const part = document.createElement("div");
  const message = document.createElement("p");
  message.className = "message";
  message.textContent = line;
  part.append(message);
  if (excerpt.length) {
    const pre = document.createElement("pre");
    pre.textContent = excerpt.join("\n");
    part.append(pre);
  }
  return part;
}

function drawChoices(view) {
  const select = $("source");
  if (select.options.length !== view.documents.length) {
    select.replaceChildren(...view.documents.map((name) => new Option(name, name)));
  }
  select.value = view.source;
  const formats = $("formats");
  formats.replaceChildren(...view.formats.map((name) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name;
    button.setAttribute("aria-pressed", String(name === view.format));
    button.addEventListener("click", () => choose({ format: name }));
    return button;
  }));
  if (view.formats.includes(view.format)) {
    const link = document.createElement("a");
    link.href = "/pdf/" + encodeURIComponent(view.format);
    link.textContent = "Open the PDF";
    formats.append(link);
  }
}

function drawPages(view, count) {
  const key = view.source + " " + view.format;
  const version = view.drawn[view.format] || 0;
  if (drawn.key === key && drawn.version === version) return;  // the same images
  drawn = { key, version };
  const pages = $("pages");
  pages.replaceChildren(...Array.from({ length: count }, (_, index) => {
    const image = new Image();
    image.src = `/page/${encodeURIComponent(view.format)}/${index + 1}.png?v=${version}`;
    image.alt = `${view.format}, page ${index + 1} of ${count}`;
    return image;
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  $("source").addEventListener("change", (event) => choose({ source: event.target.value }));
  poll();
});
