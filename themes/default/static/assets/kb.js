// kb default theme: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  function setUpCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll(".code").forEach(function (block) {
      var button = block.querySelector("button.copy");
      var code = block.querySelector("pre code");
      if (!button || !code) return;
      button.hidden = false;
      button.setAttribute("aria-label", "Copy code to clipboard");
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(code.innerText.replace(/\n$/, "")).then(function () {
          button.textContent = "Copied";
          button.setAttribute("data-copied", "");
          setTimeout(function () {
            button.textContent = "Copy";
            button.removeAttribute("data-copied");
          }, 1500);
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpCopyButtons);
  } else {
    setUpCopyButtons();
  }
})();
