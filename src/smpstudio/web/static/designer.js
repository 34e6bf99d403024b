// smpstudio hairline designer: drag the control points, the preview follows.
// At most one preview request is in flight per tab; while it runs, further changes only
// mark the design dirty, and the newest state is sent when the answer arrives
// (live_preview.js, loaded before this file).
"use strict";

(function () {
  const root = document.getElementById("designer");
  if (!root) return;
  const params = JSON.parse(root.dataset.initial);
  const img = document.getElementById("preview");
  const svg = document.getElementById("overlay");
  const handlesGroup = document.getElementById("handles");
  const linePath = document.getElementById("hairline-path");
  const guidePath = document.getElementById("guide-path");
  const paramsField = document.getElementById("params");
  const zonesBox = document.getElementById("zones");
  const beforeImg = document.getElementById("before-image");
  const compareBox = document.getElementById("compare");
  // What the "before" image does not depend on: the designed hairline and the moment shown.
  const DESIGN_ONLY = ["height_cm", "temporal_rise_mm", "profile", "shape", "hairline", "state"];
  const SVGNS = "http://www.w3.org/2000/svg";
  const PROFILE = [-0.3, 1.3];

  let geometry = null;
  let dragging = null;

  // --- requests -------------------------------------------------------------------
  const preview = window.smpLivePreview.channel({
    root,
    url: "/studio/preview",
    csrf: root.dataset.csrf,
    status: document.getElementById("status"),
    image: img,
    refusal: 422,
    body: () => Object.assign({}, params, { zones: zonesBox.checked }),
    shown: (response) => {
      const header = response.headers.get("X-Smp-Geometry");
      img.dataset.state = params.state;
      setGeometry(header ? JSON.parse(header) : null);
    },
  });

  function request() {
    paramsField.value = JSON.stringify(params);
    syncControls();
    refreshBefore();
    preview.request();
  }

  // --- before and after on one image ------------------------------------------------
  // The client's head without impressions, under the preview, cut at a divider the
  // practitioner moves. Fetched on its own channel, only when something it shows changes
  // (never during a hairline drag).
  let beforeKey = null;
  let beforeBusy = false;
  let beforeUrl = null;

  function lookKey() {
    return JSON.stringify(Object.keys(params).filter((k) => !DESIGN_ONLY.includes(k)).sort().map((k) => [k, params[k]]));
  }

  async function refreshBefore() {
    if (!compareBox.checked || beforeBusy) return;
    const key = lookKey();
    if (key === beforeKey) return;
    beforeBusy = true;
    try {
      const response = await preview.post(Object.assign({ client: `${preview.client}-before` }, params, { state: "before", zones: false }));
      if (response.status === 200) {
        const url = URL.createObjectURL(await response.blob());
        await new Promise((resolve) => { beforeImg.onload = resolve; beforeImg.onerror = resolve; beforeImg.src = url; });
        if (beforeUrl) URL.revokeObjectURL(beforeUrl);
        beforeUrl = url;
        beforeKey = key;
        beforeImg.dataset.key = key;
      }
    } catch (error) {
      // the main preview's status already says when the studio cannot be reached
    }
    beforeBusy = false;
    if (compareBox.checked && lookKey() !== beforeKey) setTimeout(refreshBefore, 250);
  }

  // --- geometry and handles ----------------------------------------------------
  function interp(x, xs, ys) {
    // xs may run either way; clamp at the ends.
    const n = xs.length;
    const up = xs[n - 1] > xs[0];
    if (up ? x <= xs[0] : x >= xs[0]) return ys[0];
    if (up ? x >= xs[n - 1] : x <= xs[n - 1]) return ys[n - 1];
    for (let i = 1; i < n; i += 1) {
      const a = xs[i - 1], b = xs[i];
      if ((x - a) * (x - b) <= 0 && a !== b) return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - a) / (b - a);
    }
    return ys[n - 1];
  }

  function makeHandle(kind, index, label) {
    const c = document.createElementNS(SVGNS, "circle");
    c.setAttribute("r", kind === "control" ? "9" : "12");
    c.setAttribute("class", `handle ${kind}`);
    c.setAttribute("tabindex", "0");
    c.setAttribute("role", "slider");
    c.setAttribute("aria-label", label);
    c.dataset.kind = kind;
    c.dataset.index = String(index);
    window.smpLivePreview.draggable(c, {
      start: () => { dragging = c; },
      move: onDrag,
      end: () => { dragging = null; if (geometry) setGeometry(geometry); },
    });
    c.addEventListener("keydown", onKey);
    handlesGroup.appendChild(c);
    return c;
  }

  const handles = { mid: null, temporal: [], controls: [] };
  function buildHandles() {
    handles.mid = makeHandle("mid", 0, "Hairline height");
    handles.temporal = [makeHandle("temporal", 0, "Right temple point"), makeHandle("temporal", 1, "Left temple point")];
    const names = ["a quarter", "halfway", "three quarters"];
    for (let side = 0; side < 2; side += 1) {
      for (let k = 0; k < 3; k += 1) {
        handles.controls.push(makeHandle("control", side * 3 + k, `Hairline curve, ${names[k]} to the ${side ? "left" : "right"} temple`));
      }
    }
  }

  function place(el, point) {
    el.setAttribute("cx", point[0].toFixed(1));
    el.setAttribute("cy", point[1].toFixed(1));
  }

  function setGeometry(geo) {
    const visible = params.view === "front" && geo;
    svg.classList.toggle("off", !visible);
    if (!visible) { geometry = null; return; }
    geometry = geo;
    svg.setAttribute("viewBox", `0 0 ${geo.size} ${geo.size}`);
    if (!dragging) {
      place(handles.mid, geo.mid);
      geo.temporal.forEach((p, i) => place(handles.temporal[i], p));
      geo.controls.forEach((p, i) => place(handles.controls[i], p));
      guidePath.setAttribute("d", "");
    }
    linePath.setAttribute("d", geo.line.length ? "M" + geo.line.map((p) => p.join(",")).join("L") : "");
    updateAria();
  }

  function updateAria() {
    handles.mid.setAttribute("aria-valuenow", String(params.height_cm));
    handles.mid.setAttribute("aria-valuetext", `${params.height_cm.toFixed(2)} cm`);
    const rise = params.temporal_rise_mm ?? (geometry ? geometry.rise_mm : 15);
    handles.temporal.forEach((h) => { h.setAttribute("aria-valuenow", String(rise)); h.setAttribute("aria-valuetext", `${rise} mm`); });
    const shares = params.profile || (geometry ? geometry.shares : [0, 0, 0]);
    handles.controls.forEach((h, i) => h.setAttribute("aria-valuenow", String(shares[i % 3])));
  }

  function toCustom() {
    if (!params.profile && geometry) params.profile = geometry.shares.slice();
    if (params.temporal_rise_mm === null || params.temporal_rise_mm === undefined) {
      params.temporal_rise_mm = geometry ? Math.round(geometry.rise_mm * 2) / 2 : 15;
    }
    params.shape = "custom";
  }

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }

  function applyRow(kind, index, row) {
    if (!geometry) return;
    if (kind === "mid") {
      const hs = geometry.height_rows.map((p) => p[0]);
      const rs = geometry.height_rows.map((p) => p[1]);
      params.height_cm = Math.round(interp(row, rs, hs) * 20) / 20;
    } else if (kind === "temporal") {
      toCustom();
      const rises = geometry.rise_rows.map((p) => p[0]);
      const rows = geometry.rise_rows.map((p) => p[1]);
      params.temporal_rise_mm = clamp(Math.round(interp(row, rows, rises) * 2) / 2, 0, 35);
    } else {
      toCustom();
      // The row of control point k for each share of the temporal rise (any camera).
      const k = index % 3;
      const shares = geometry.share_rows.map((r) => r[0]);
      const rows = geometry.share_rows.map((r) => r[1 + k]);
      if (Math.abs(rows[rows.length - 1] - rows[0]) < 1) return;
      const share = clamp(interp(row, rows, shares), PROFILE[0], PROFILE[1]);
      params.profile[k] = Math.round(share * 100) / 100;
    }
  }

  function drawGuide() {
    const pts = [handles.temporal[0], ...handles.controls.slice(0, 3).reverse(), handles.mid, ...handles.controls.slice(3), handles.temporal[1]]
      .map((h) => `${h.getAttribute("cx")},${h.getAttribute("cy")}`);
    guidePath.setAttribute("d", "M" + pts.join("L"));
  }

  function svgPoint(event) {
    const pt = svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  }

  function onDrag(event) {
    const el = event.currentTarget;
    const p = svgPoint(event);
    const kind = el.dataset.kind;
    const index = Number(el.dataset.index);
    el.setAttribute("cy", p.y.toFixed(1));
    if (kind === "control") handles.controls[(index + 3) % 6].setAttribute("cy", p.y.toFixed(1));
    if (kind === "temporal") handles.temporal[1 - index].setAttribute("cy", p.y.toFixed(1));
    drawGuide();
    applyRow(kind, index, p.y);
    request();
  }

  function onKey(event) {
    const steps = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 5, PageDown: -5 };
    const step = steps[event.key];
    if (!step) return;
    event.preventDefault();
    const kind = event.currentTarget.dataset.kind;
    const index = Number(event.currentTarget.dataset.index);
    if (kind === "mid") {
      params.height_cm = clamp(Math.round((params.height_cm + 0.1 * step) * 20) / 20, 5, 11);
    } else if (kind === "temporal") {
      toCustom();
      params.temporal_rise_mm = clamp(params.temporal_rise_mm + 0.5 * step, 0, 35);
    } else {
      toCustom();
      params.profile[index % 3] = clamp(Math.round((params.profile[index % 3] + 0.02 * step) * 100) / 100, PROFILE[0], PROFILE[1]);
    }
    request();
  }

  // --- form controls ------------------------------------------------------------
  function byId(id) { return document.getElementById(id); }

  function syncControls() {
    byId("height_cm").value = params.height_cm;
    byId("height_cm_range").value = params.height_cm;
    const rise = params.temporal_rise_mm ?? (geometry ? geometry.rise_mm : 15);
    byId("temporal_rise_mm").value = rise;
    byId("temporal_rise_mm_range").value = rise;
    for (const id of ["hairline", "pattern", "head", "hair"]) byId(id).value = params[id];
    byId("sex").value = params.sex || "male";
    const age = String(Math.round(params.age_years ?? 35));
    byId("age_years").value = [...byId("age_years").options].some((o) => o.value === age) ? age : "35";
    byId("shape").value = params.shape || "";
    byId("scars").value = (params.scars && params.scars[0]) || "";
    byId("skin").value = params.skin;
    const length = params.hair_length_mm === null || params.hair_length_mm === undefined ? "" : String(params.hair_length_mm);
    byId("hair_length").value = [...byId("hair_length").options].some((o) => o.value === length) ? length : "";
    document.querySelectorAll("[data-skin]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.skin === params.skin)));
    document.querySelectorAll("[data-state]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.state === params.state)));
    document.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === params.view)));
    if (handles.mid) updateAria();
  }

  function bindNumber(id, key, lo, hi) {
    const onInput = (event) => {
      const v = Number(event.target.value);
      if (!Number.isFinite(v)) return;
      if (key === "temporal_rise_mm") toCustom();
      params[key] = clamp(v, lo, hi);
      request();
    };
    byId(id).addEventListener("change", onInput);
    byId(`${id}_range`).addEventListener("input", onInput);
  }

  function bindSelect(id, apply) {
    byId(id).addEventListener("change", (event) => { apply(event.target.value); request(); });
  }

  buildHandles();
  bindNumber("height_cm", "height_cm", 5, 11);
  bindNumber("temporal_rise_mm", "temporal_rise_mm", 0, 35);
  bindSelect("hairline", (v) => { params.hairline = v; });
  bindSelect("pattern", (v) => { params.pattern = v; });
  bindSelect("head", (v) => { params.head = v; });
  bindSelect("sex", (v) => { params.sex = v; });
  bindSelect("age_years", (v) => { params.age_years = Number(v); });
  bindSelect("hair", (v) => { params.hair = v; });
  bindSelect("hair_length", (v) => { params.hair_length_mm = v === "" ? null : Number(v); });
  bindSelect("scars", (v) => { params.scars = v ? [v] : []; });
  bindSelect("shape", (v) => {
    if (v === "custom") { toCustom(); } else { params.shape = v || null; params.profile = null; params.temporal_rise_mm = null; }
  });
  byId("skin").addEventListener("change", (event) => { params.skin = event.target.value; request(); });
  document.querySelectorAll("[data-skin]").forEach((b) => b.addEventListener("click", () => { params.skin = b.dataset.skin; request(); }));
  document.querySelectorAll("[data-state]").forEach((b) => b.addEventListener("click", () => { params.state = b.dataset.state; request(); }));
  document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => { params.view = b.dataset.view; request(); }));
  zonesBox.addEventListener("change", () => request());  // shown, not saved with the design
  window.smpLivePreview.compare({
    box: compareBox,
    at: document.getElementById("compare-at"),
    before: beforeImg,
    divider: document.getElementById("compare-divider"),
    row: document.getElementById("compare-row"),
    stage: document.getElementById("stage"),
  }, refreshBefore);
  request();
})();
