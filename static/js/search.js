/* The search page (templates/search.html): Pagefind's UI on #search over the index the
   build writes to /pagefind/. The header's search form lands here with ?q=…, which starts
   the query; what the reader types is kept in the address so a search can be shared or
   reloaded. The order menu re-creates the UI sorted by date (Pagefind has no live re-sort). */
(() => {
  "use strict";
  const root = document.getElementById("search");
  if (!root || typeof window.PagefindUI !== "function") return; // the index did not load
  const order = document.getElementById("search-sort");
  let ui = null;

  const keepInAddress = (term) => {
    const url = new URL(window.location.href);
    url.searchParams.set("q", term);
    window.history.replaceState(null, "", url);
    return term;
  };

  const start = (term) => {
    if (ui) ui.destroy();
    ui = new window.PagefindUI({
      element: root,
      bundlePath: root.dataset.bundle,
      showImages: false,
      resetStyles: false,
      autofocus: !term,
      sort: order && order.value ? { date: order.value } : null,
      processTerm: keepInAddress,
    });
    if (term) ui.triggerSearch(term);
  };

  document.querySelector(".search-nojs").hidden = true;
  if (order) {
    order.parentElement.hidden = false;
    order.addEventListener("change", () => {
      const input = root.querySelector("input[type=search], input");
      start(input ? input.value.trim() : "");
    });
  }
  start((new URLSearchParams(window.location.search).get("q") || "").trim());
})();
