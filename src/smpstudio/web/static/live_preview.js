// smpstudio's live preview, shared by the two designers (designer.js on the virtual head,
// photo_designer.js on the client's photo); loaded before them, it only defines
// window.smpLivePreview.
//
// smpLivePreview.channel(options) sends the design to options.url and shows the image it
// answers. At most one preview request is in flight per tab; while it runs, further changes
// only mark the design dirty, and the newest state is sent when the answer arrives (latest
// wins). The status line says what happened: rendering, up to date (with the time taken),
// the studio's refusal (the JSON {error} of options.refusal), signed out, busy (503: asked
// again after Retry-After, at most 5 s), or no connection.
//
// smpLivePreview.draggable(el, hooks) makes a point of the overlay draggable with the pointer.
//
// smpLivePreview.compare(parts, onShow) binds the "before and after on one image" switch and
// its divider.
"use strict";

window.smpLivePreview = (function () {
  function randomClient() {
    return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // options: root (its data-renders counts the images shown), url, csrf, status (element),
  // image (the <img> the answers go to), refusal (the HTTP status of a refusal with its
  // reason as JSON), body() (what to send, read when sending), shown(response) (optional:
  // called as the image is replaced).
  function channel(options) {
    const client = randomClient();
    let inflight = false;
    let pending = false;
    let lastUrl = null;
    let renders = 0;

    function setStatus(text) { options.status.textContent = text; }

    function post(body) {
      return fetch(options.url, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": options.csrf },
        body: JSON.stringify(body),
      });
    }

    function request() {
      if (inflight) { pending = true; return; }
      send();
    }

    async function send() {
      inflight = true;
      pending = false;
      const started = performance.now();
      setStatus("Rendering…");
      try {
        const response = await post(Object.assign({ client }, options.body()));
        if (response.status === 200) {
          await show(await response.blob(), response);
          renders += 1;
          options.root.dataset.renders = String(renders);
          setStatus(`Up to date · ${Math.round(performance.now() - started)} ms`);
        } else if (response.status === options.refusal) {
          setStatus((await response.json()).error);
        } else if (response.status === 401 || response.status === 403) {
          setStatus("Signed out: sign in again to continue.");
        } else if (response.status === 503) {
          // The studio is at its limit of heavy work: ask again when it says, nothing is lost.
          const wait = Math.min(5, Number(response.headers.get("Retry-After")) || 1);
          setStatus("The studio is busy: trying again…");
          setTimeout(() => { inflight = false; send(); }, 1000 * wait);
          return;
        } else if (response.status !== 204) {
          setStatus("The preview could not be made.");
        }
      } catch (error) {
        setStatus("No connection to the studio.");
      }
      inflight = false;
      if (pending) send();
    }

    function show(blob, response) {
      return new Promise((resolve) => {
        const url = URL.createObjectURL(blob);
        const img = options.image;
        img.onload = () => {
          if (lastUrl) URL.revokeObjectURL(lastUrl);
          lastUrl = url;
          resolve();
        };
        img.onerror = () => resolve();
        img.src = url;
        if (options.shown) options.shown(response);
      });
    }

    return { client, request, post, setStatus };
  }

  // While el is held (the pointer captured, el marked "dragging"), hooks.move(event) follows
  // the pointer; hooks.end(event) (optional) when it is let go. hooks.allow(event) (optional)
  // says whether a press starts a drag; hooks.start(event) (optional) runs as it does.
  function draggable(el, hooks) {
    function end(event) {
      el.classList.remove("dragging");
      el.removeEventListener("pointermove", hooks.move);
      el.removeEventListener("pointerup", end);
      el.removeEventListener("pointercancel", end);
      if (hooks.end) hooks.end(event);
    }
    el.addEventListener("pointerdown", (event) => {
      if (hooks.allow && !hooks.allow(event)) return;
      if (hooks.start) hooks.start(event);
      el.classList.add("dragging");
      el.setPointerCapture(event.pointerId);
      el.addEventListener("pointermove", hooks.move);
      el.addEventListener("pointerup", end);
      el.addEventListener("pointercancel", end);
      event.preventDefault();
    });
  }

  // parts: box (the checkbox), at (the divider's slider), before (the before image),
  // divider, row (the slider's row), stage; onShow: called when the switch is on.
  function compare(parts, onShow) {
    function apply() {
      const on = parts.box.checked;
      parts.before.hidden = !on;
      parts.divider.hidden = !on;
      parts.row.hidden = !on;
      parts.stage.style.setProperty("--split", `${parts.at.value}%`);
      if (on && onShow) onShow();
    }
    parts.box.addEventListener("change", apply);
    parts.at.addEventListener("input", apply);
  }

  return { channel, compare, draggable };
})();
