package handlers

import (
	"testing"

	"github.com/jusb/portal/handlers/email"
)

// StartTestMailbox starts the test SMTP server for the browser tests (package
// handlers_test): the sender to configure the portal with, and a function that
// waits for the next mail to an address and returns its text.
func StartTestMailbox(t testing.TB) (email.Sender, func(t testing.TB, to string) string) {
	m := startMailbox(t)
	return m.sender(t), func(t testing.TB, to string) string {
		t.Helper()
		return m.waitFor(t, to).Text
	}
}
