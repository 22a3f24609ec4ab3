// kb serve: reloads this page when it changes, and shows a failed build's errors over it until a good save.
(() => {
  "use strict";
  let overlay = null;
  const show = (text) => {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "kb-live-error";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;" +
        "background:rgba(24,24,27,.96);color:#f4f4f5;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace";
      const heading = document.createElement("p");
      heading.style.cssText = "margin:0 0 1rem;font:600 16px/1.4 system-ui,sans-serif;color:#fca5a5";
      heading.textContent = "The last save did not build. This page is the last good one; save a fix to go on.";
      const pre = document.createElement("pre");
      pre.style.cssText = "margin:0;white-space:pre-wrap";
      overlay.append(heading, pre);
    }
    overlay.querySelector("pre").textContent = text;
    if (!overlay.isConnected) document.body.append(overlay);
  };
  const source = new EventSource("__LIVE__");
  source.addEventListener("open", () => {
    document.documentElement.dataset.kbLive = "connected";
  });
  source.addEventListener("failed", (e) => show(JSON.parse(e.data)));
  source.addEventListener("fixed", () => {
    if (overlay) overlay.remove();
  });
  source.addEventListener("reload", (e) => {
    const changed = JSON.parse(e.data);
    if (changed.all || changed.pages.includes(location.pathname)) location.reload();
  });
})();
