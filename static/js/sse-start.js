// sse-start.js connects the page's live streams (hx-sse:connect) when htmx started up
// before its SSE extension, hx-sse.min.js, had registered. Both scripts are deferred,
// and a browser may run htmx's start-up between them; the extension then never saw
// the stream's element, which stays without a stream. If htmx has not started yet, it
// finds the element itself, with the extension in place, so this does nothing.
//
// A stream that htmx did start is connected (the extension's _htmx.sse) or on its way
// (htmx's request class on the element), but not at once: the request begins a few
// steps after start-up. So an element that shows neither is looked at again a moment
// later, before it is connected here; connecting it at once could open a second stream
// beside htmx's, and every message would then show twice.
(() => {
  const htmxStarted = document.querySelector("[hx-get],[hx-post]")?._htmx?.initialized;
  if (!htmxStarted) return;
  const streaming = (el) => el._htmx?.sse || el.classList.contains("htmx-request");
  for (const el of document.querySelectorAll("[hx-sse\\:connect]")) {
    if (streaming(el)) continue;
    setTimeout(() => {
      if (!streaming(el)) htmx.process(el);
    }, 300);
  }
})();
