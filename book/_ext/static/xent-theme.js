/* The light/dark switch toggles between light and dark.
 *
 * The theme's own switch cycles through "auto" as well; on a light system the first click
 * goes from light to auto, which looks the same, so a reader sees nothing happen. This
 * listener runs first (capture phase on the document) and flips the shown theme instead.
 */
(function () {
  "use strict";
  function setMode(mode) {
    var root = document.documentElement;
    root.dataset.mode = mode;
    root.dataset.theme = mode;
    document.querySelectorAll(".dropdown-menu").forEach(function (menu) {
      menu.classList.toggle("dropdown-menu-dark", mode === "dark");
    });
    try {
      localStorage.setItem("mode", mode);
      localStorage.setItem("theme", mode);
    } catch (error) {
      /* storage may be off (file://, private windows): the page still switches */
    }
  }
  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest(".theme-switch-button");
      if (!button) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      setMode(document.documentElement.dataset.theme === "dark" ? "light" : "dark");
    },
    true
  );
})();
