// Apply a saved theme before the page paints (no flash); the toggle lives in berth.js.
(function () {
  try {
    var t = localStorage.getItem("berth-theme");
    if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
  } catch (e) {}
})();
