// The signature pad of the client portal's consent page: draw with a finger, a stylus or the
// mouse (pointer events); on submit the drawing goes into the hidden "signature" field as a
// PNG (data URL), which the server checks (size, not blank) before anything is signed.
(function () {
  "use strict";
  var canvas = document.getElementById("signature-pad");
  var form = document.getElementById("consent-form");
  if (!canvas || !form) { return; }
  var field = document.getElementById("signature-data");
  var problem = document.getElementById("pad-error");
  var clear = document.getElementById("signature-clear");
  var ctx = canvas.getContext("2d");
  var drawing = false;
  var strokes = 0;
  var last = null;

  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#111";

  function at(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height)
    };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = at(event);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    event.preventDefault();
    var point = at(event);
    ctx.lineTo(point.x, point.y);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(point.x, point.y);
    last = point;
    strokes += 1;
  });
  function stop() { drawing = false; last = null; }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("pointerleave", stop);

  clear.addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    strokes = 0;
    field.value = "";
  });

  form.addEventListener("submit", function (event) {
    if (strokes < 2) {
      event.preventDefault();
      problem.hidden = false;
      canvas.focus();
      return;
    }
    problem.hidden = true;
    field.value = canvas.toDataURL("image/png");
  });
}());
