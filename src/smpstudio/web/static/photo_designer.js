// smpstudio designer on the client's photo: drag the hairline's points and paint the treated
// area; the after image follows. At most one preview request is in flight per tab; while it
// runs, further changes only mark the design dirty, and the newest state is sent when the
// answer arrives (live_preview.js, loaded before this file).
"use strict";

(function () {
  const root = document.getElementById("photo-designer");
  if (!root) return;
  const photo = root.dataset.photo;
  const width = Number(root.dataset.width);
  const height = Number(root.dataset.height);
  const params = JSON.parse(root.dataset.initial);
  const SVGNS = "http://www.w3.org/2000/svg";
  const MAX_STROKE_POINTS = 200;
  const byId = (id) => document.getElementById(id);
  const svg = byId("overlay");
  const handlesGroup = byId("handles");
  const strokesGroup = byId("strokes");
  const guidePath = byId("guide-path");
  const paramsField = byId("params");
  const stage = byId("stage");

  let brush = "";
  let painting = null;

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
  function round1(v) { return Math.round(v * 10) / 10; }

  // --- requests -------------------------------------------------------------------
  const preview = window.smpLivePreview.channel({
    root,
    url: `/studio/photos/${photo}/preview`,
    csrf: root.dataset.csrf,
    status: byId("status"),
    image: byId("preview"),
    refusal: 400,
    body: () => params,
  });

  function request() {
    paramsField.value = JSON.stringify(params);
    syncControls();
    preview.request();
  }

  // --- the hairline's points ----------------------------------------------------------
  const handles = [];
  function buildHandles() {
    params.points.forEach((p, i) => {
      const c = document.createElementNS(SVGNS, "circle");
      c.setAttribute("r", "8");
      c.setAttribute("class", i === Math.floor(params.points.length / 2) ? "handle mid" : "handle");
      c.setAttribute("tabindex", "0");
      c.setAttribute("role", "slider");
      c.setAttribute("aria-label", `Hairline point ${i + 1} of ${params.points.length}, from the client's right`);
      c.setAttribute("aria-valuemin", "0");
      c.setAttribute("aria-valuemax", String(height));
      c.dataset.index = String(i);
      window.smpLivePreview.draggable(c, { allow: () => !brush, start: (event) => event.stopPropagation(), move: onDrag });
      c.addEventListener("keydown", onKey);
      handlesGroup.appendChild(c);
      handles.push(c);
    });
    placeHandles();
  }

  function placeHandles() {
    params.points.forEach((p, i) => {
      handles[i].setAttribute("cx", p[0].toFixed(1));
      handles[i].setAttribute("cy", p[1].toFixed(1));
      handles[i].setAttribute("aria-valuenow", String(Math.round(p[1])));
      handles[i].setAttribute("aria-valuetext", `x ${Math.round(p[0])}, y ${Math.round(p[1])} px`);
    });
    guidePath.setAttribute("d", smoothPath(params.points));
  }

  // The curve the studio draws through the points (Catmull-Rom, as photo/_live.py), as
  // cubic Bézier segments.
  function smoothPath(pts) {
    const n = pts.length;
    if (n < 3) return "M" + pts.map((p) => `${p[0]},${p[1]}`).join("L");
    const at = (i) => (i < 0 ? [2 * pts[0][0] - pts[1][0], 2 * pts[0][1] - pts[1][1]]
      : i >= n ? [2 * pts[n - 1][0] - pts[n - 2][0], 2 * pts[n - 1][1] - pts[n - 2][1]] : pts[i]);
    let d = `M${pts[0][0]},${pts[0][1]}`;
    for (let i = 0; i < n - 1; i += 1) {
      const p0 = at(i - 1), p1 = at(i), p2 = at(i + 1), p3 = at(i + 2);
      const c1 = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6];
      const c2 = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6];
      d += `C${c1[0].toFixed(1)},${c1[1].toFixed(1)} ${c2[0].toFixed(1)},${c2[1].toFixed(1)} ${p2[0]},${p2[1]}`;
    }
    return d;
  }

  function svgPoint(event) {
    const pt = svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    const q = pt.matrixTransform(svg.getScreenCTM().inverse());
    return [round1(clamp(q.x, 0, width)), round1(clamp(q.y, 0, height))];
  }

  function onDrag(event) {
    const i = Number(event.currentTarget.dataset.index);
    params.points[i] = svgPoint(event);
    placeHandles();
    request();
  }

  function onKey(event) {
    const moves = { ArrowUp: [0, -2], ArrowDown: [0, 2], ArrowLeft: [-2, 0], ArrowRight: [2, 0], PageUp: [0, -10], PageDown: [0, 10] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const i = Number(event.currentTarget.dataset.index);
    const p = params.points[i];
    params.points[i] = [round1(clamp(p[0] + move[0], 0, width)), round1(clamp(p[1] + move[1], 0, height))];
    placeHandles();
    request();
  }

  // --- painting ---------------------------------------------------------------------
  function strokePoints() { return params.strokes.reduce((n, s) => n + s.points.length, 0); }

  function drawStrokes() {
    strokesGroup.replaceChildren();
    for (const s of params.strokes) {
      const path = document.createElementNS(SVGNS, "path");
      path.setAttribute("class", `stroke-${s.mode}`);
      path.setAttribute("stroke-width", String(2 * s.radius));
      const pts = s.points.length === 1 ? [s.points[0], s.points[0]] : s.points;
      path.setAttribute("d", "M" + pts.map((p) => `${p[0]},${p[1]}`).join("L"));
      strokesGroup.appendChild(path);
    }
  }

  svg.addEventListener("pointerdown", (event) => {
    if (!brush || strokePoints() >= MAX_STROKE_POINTS || params.strokes.length >= 30) {
      if (brush) preview.setStatus("Enough painting: undo or clear a stroke to paint more.");
      return;
    }
    const radius = clamp(Number(byId("radius").value) || 14, 2, 80);
    painting = { mode: brush, radius, points: [svgPoint(event)] };
    params.strokes.push(painting);
    svg.setPointerCapture(event.pointerId);
    drawStrokes();
    event.preventDefault();
  });
  svg.addEventListener("pointermove", (event) => {
    if (!painting) return;
    const p = svgPoint(event);
    const last = painting.points[painting.points.length - 1];
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) < painting.radius / 2) return;
    if (strokePoints() >= MAX_STROKE_POINTS) return;
    painting.points.push(p);
    drawStrokes();
  });
  const endPaint = () => { if (painting) { painting = null; request(); } };
  svg.addEventListener("pointerup", endPaint);
  svg.addEventListener("pointercancel", endPaint);

  function setBrush(mode) {
    brush = mode;
    svg.classList.toggle("painting", Boolean(mode));
    document.querySelectorAll("[data-brush]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.brush === mode)));
  }

  // --- form controls ------------------------------------------------------------------
  function syncControls() {
    byId("style").value = params.style;
    byId("density").value = params.density;
    byId("density_range").value = params.density;
    byId("hair").value = params.hair;
    byId("skin").value = params.skin;
    document.querySelectorAll("[data-skin]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.skin === params.skin)));
    document.querySelectorAll("[data-state]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.state === params.state)));
  }

  stage.style.aspectRatio = `${width} / ${height}`;
  buildHandles();
  drawStrokes();
  for (const id of ["density", "density_range"]) {
    byId(id).addEventListener(id === "density" ? "change" : "input", (event) => {
      const v = Number(event.target.value);
      if (!Number.isFinite(v)) return;
      params.density = clamp(Math.round(v / 5) * 5, 30, 150);
      request();
    });
  }
  byId("style").addEventListener("change", (event) => { params.style = event.target.value; request(); });
  byId("hair").addEventListener("change", (event) => { params.hair = event.target.value; request(); });
  byId("skin").addEventListener("change", (event) => { params.skin = event.target.value; request(); });
  document.querySelectorAll("[data-skin]").forEach((b) => b.addEventListener("click", () => { params.skin = b.dataset.skin; request(); }));
  document.querySelectorAll("[data-state]").forEach((b) => b.addEventListener("click", () => { params.state = b.dataset.state; request(); }));
  document.querySelectorAll("[data-brush]").forEach((b) => b.addEventListener("click", () => setBrush(b.dataset.brush)));
  byId("undo-stroke").addEventListener("click", () => { params.strokes.pop(); drawStrokes(); request(); });
  byId("clear-strokes").addEventListener("click", () => { params.strokes = []; drawStrokes(); request(); });
  window.smpLivePreview.compare({
    box: byId("compare"),
    at: byId("compare-at"),
    before: byId("before-image"),
    divider: byId("compare-divider"),
    row: byId("compare-row"),
    stage,
  });
  request();
})();
