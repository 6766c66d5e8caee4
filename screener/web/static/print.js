// Browsers without ::details-content print folded notes folded: open every <details> before printing.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
