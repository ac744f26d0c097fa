package email

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestRenderEscapesOnlyTheHTML(t *testing.T) {
	data := map[string]string{"OrgName": `Acme <script>alert(1)</script>`,
		"InviterName": "Alice", "Link": "https://portal.example/invitations/accept?token=a&b",
		"Expires": "10 Dec 2026 12:00 UTC"}
	subject, text, html, err := Render("invitation", data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Alice invites you to Acme <script>alert(1)</script> on JusB Portal"; subject !=
		want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if !strings.Contains(text, data["Link"]) {
		t.Errorf("text lacks the link:\n%s", text)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("HTML does not escape the name:\n%s", html)
	}
	if !strings.Contains(html, `href="https://portal.example/invitations/accept?token=a&amp;b"`) {
		t.Errorf("HTML lacks the link:\n%s", html)
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	if _, _, _, err := Render("no-such-mail", nil); err == nil {
		t.Error("Render of an unknown template succeeded")
	}
}

func TestLogWritesTheWholeMessage(t *testing.T) {
	var buf bytes.Buffer
	l := Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	err := l.Send(context.Background(), Message{To: "a@example", Subject: "Hello",
		Text: "Follow https://portal.example/x?token=t"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a@example", "Hello", "https://portal.example/x?token=t"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestNewSMTPRefusesAPasswordInTheClear(t *testing.T) {
	tests := []struct {
		name    string
		cfg     SMTPConfig
		wantErr string
	}{
		{"password without TLS", SMTPConfig{Host: "h", From: "f@x", Username: "u",
			Password: "p", TLS: TLSNone}, "without TLS"},
		{"no host", SMTPConfig{From: "f@x"}, "host and from"},
		{"unknown policy", SMTPConfig{Host: "h", From: "f@x", TLS: "maybe"}, "unknown TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSMTP(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewSMTP: %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestEachTemplateHasItsOwnSubject(t *testing.T) {
	subjects := map[string]bool{}
	for name := range textTemplates {
		subject, _, _, err := Render(name, map[string]string{})
		if err != nil {
			t.Fatalf("render %s: %v", name, err)
		}
		if subjects[subject] {
			t.Errorf("%s shares its subject %q with another mail", name, subject)
		}
		subjects[subject] = true
	}
	if len(subjects) < 2 {
		t.Errorf("%d templates, want the invitation's and the password reset's", len(subjects))
	}
}
