package handlers_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// pageWatch collects what the browser reports going wrong in the tab: exceptions,
// console errors and warnings, CSP and other security messages, failed loads and
// refused cookies. chromedp calls observe from the tab's event loop, in order.
type pageWatch struct {
	mu       sync.Mutex
	problems []string
	refused  []string
}

func (w *pageWatch) observe(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		w.problems = append(w.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL,
			d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError ||
			ev.Type == runtime.ConsoleAPICalledTypeWarning ||
			ev.Type == runtime.ConsoleAPICalledTypeAssert {
			w.problems = append(w.problems, fmt.Sprintf("console.%s: %s", ev.Type,
				consoleArgs(ev.Args)))
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; isProblem(e) {
			w.problems = append(w.problems, fmt.Sprintf("%s %s at %s: %s", e.Source,
				e.Level, e.URL, e.Text))
		}
	case *network.EventResponseReceivedExtraInfo:
		for _, c := range ev.BlockedCookies {
			line, _, _ := strings.Cut(c.CookieLine, "=")
			r := fmt.Sprintf("%s refused: %v", line, c.BlockedReasons)
			w.refused = append(w.refused, r)
			w.problems = append(w.problems, "cookie "+r)
		}
	}
}

// isProblem reports whether a browser log entry means something is broken. Every
// security entry counts, CSP violations among them; so does every error except the
// two the test causes on purpose: the 401 of a wrong password, and the favicon the
// portal does not have.
func isProblem(e *log.Entry) bool {
	if e.Source == log.EntrySourceSecurity || strings.Contains(e.Text, "Content Security") {
		return true
	}
	if e.Level != log.EntryLevelError {
		return false
	}
	if e.Source == log.EntrySourceNetwork {
		u, err := url.Parse(e.URL)
		switch {
		case err != nil:
			return true
		case u.Path == "/favicon.ico":
			return false
		case u.Path == "/signin" && strings.Contains(e.Text, "status of 401"):
			return false
		}
	}
	return true
}

func consoleArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func (w *pageWatch) refusedCookies() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.refused...)
}

// dismiss forgets the problems seen so far that contain text: what a test caused on
// purpose, such as the browser's log line for a refused form (a 422).
func (w *pageWatch) dismiss(text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = slices.DeleteFunc(w.problems, func(p string) bool {
		return strings.Contains(p, text)
	})
}

// check fails t with every problem seen since the last check.
func (w *pageWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Errorf("browser reported: %s", p)
	}
	w.problems = nil
}
