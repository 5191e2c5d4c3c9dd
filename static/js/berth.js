// Progressive enhancements only: every page works without this file.
(function () {
  // Theme toggle: follows the system until the visitor picks one.
  var btn = document.getElementById("theme-toggle");
  if (btn) {
    btn.hidden = false;
    var current = function () {
      var t = document.documentElement.dataset.theme;
      if (t) return t;
      return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    };
    var label = function () {
      btn.textContent = current() === "dark" ? "Light theme" : "Dark theme";
    };
    label();
    btn.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try { localStorage.setItem("berth-theme", next); } catch (e) {}
      label();
    });
  }
  // Copy buttons: <button data-copy="text">.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var text = b.getAttribute("data-copy");
      var done = function () {
        var old = b.textContent;
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = old; }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      }
    });
  });
})();
