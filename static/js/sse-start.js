// sse-start.js connects the page's live streams (hx-sse:connect) when htmx started up
// before its SSE extension, hx-sse.min.js, had registered. Both scripts are deferred,
// and a browser may run htmx's start-up between them; the extension then never saw
// the stream's element. If htmx has not started yet, it finds the element itself, with
// the extension in place, so this does nothing.
(() => {
  const started = document.querySelector("[hx-get],[hx-post]")?._htmx?.initialized;
  if (!started) return;
  for (const el of document.querySelectorAll("[hx-sse\\:connect]")) {
    if (!el._htmx?.sse) htmx.process(el);
  }
})();
