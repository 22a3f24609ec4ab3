// kb default theme: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  function setUpCopyButtons() {
    if (!navigator.clipboard) return;
    // One polite live region announces "Copied" to screen readers.
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    document.body.appendChild(status);
    document.querySelectorAll(".code").forEach(function (block) {
      var button = block.querySelector("button.copy");
      var code = block.querySelector("pre code");
      if (!button || !code) return;
      button.hidden = false;
      button.setAttribute("aria-label", "Copy code to clipboard");
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(code.innerText.replace(/\n$/, "")).then(function () {
          button.textContent = "Copied";
          status.textContent = "Code copied to clipboard";
          button.setAttribute("data-copied", "");
          setTimeout(function () {
            button.textContent = "Copy";
            button.removeAttribute("data-copied");
            status.textContent = "";
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
