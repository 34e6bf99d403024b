// smpstudio photo comparison: the left photo is cut where the slider says.
"use strict";

(function () {
  const box = document.getElementById("photo-compare");
  const slider = document.getElementById("photo-split");
  if (!box || !slider) return;
  const apply = () => box.style.setProperty("--split", `${slider.value}%`);
  slider.addEventListener("input", apply);
  apply();
})();
