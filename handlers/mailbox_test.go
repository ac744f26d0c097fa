package handlers

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/jusb/portal/handlers/email"
)

// receivedMail is one message as the test SMTP server received it, decoded.
type receivedMail struct {
	From, To, Subject, Text, HTML string
}

// testMailbox is a real SMTP server on a loopback port that keeps what it receives.
type testMailbox struct {
	addr string

	mu       sync.Mutex
	mails    []receivedMail
	arrived  chan struct{}
	refusals int // how many coming messages to refuse with a temporary failure
}

// startMailbox starts the server for the length of the test.
func startMailbox(t testing.TB) *testMailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &testMailbox{addr: ln.Addr().String(), arrived: make(chan struct{}, 1)}
	srv := smtp.NewServer(mailboxBackend{m})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

// sender returns an email.Sender that delivers to this mailbox.
func (m *testMailbox) sender(t testing.TB) email.Sender {
	t.Helper()
	host, port, _ := net.SplitHostPort(m.addr)
	p, _ := strconv.Atoi(port)
	s, err := email.NewSMTP(email.SMTPConfig{Host: host, Port: p,
		From: "JusB Portal <portal@jusb.example>", TLS: email.TLSNone,
		Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refuseNext makes the server refuse the next n messages with a temporary failure.
func (m *testMailbox) refuseNext(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refusals = n
}

// waitFor returns the next message to the address that no earlier waitFor returned,
// waiting up to 15 seconds for it.
func (m *testMailbox) waitFor(t testing.TB, to string) receivedMail {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		m.mu.Lock()
		for i := range m.mails {
			if m.mails[i].To == to {
				got := m.mails[i]
				m.mails = append(m.mails[:i:i], m.mails[i+1:]...)
				m.mu.Unlock()
				return got
			}
		}
		m.mu.Unlock()
		select {
		case <-m.arrived:
		case <-deadline:
			t.Fatalf("no mail to %s arrived within 15 s", to)
		}
	}
}

// count returns how many messages arrived and were not taken by waitFor.
func (m *testMailbox) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mails)
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkIn returns the first link in the mail's text that starts with the test portal's
// address followed by prefix, such as "/invitations/accept".
func linkIn(t testing.TB, env *testEnv, got receivedMail, prefix string) string {
	t.Helper()
	for _, u := range urlPattern.FindAllString(got.Text, -1) {
		if strings.HasPrefix(u, env.ts.URL+prefix) {
			return u
		}
	}
	t.Fatalf("no link to %s%s in the mail:\n%s", env.ts.URL, prefix, got.Text)
	return ""
}

type mailboxBackend struct{ m *testMailbox }

func (b mailboxBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailboxSession{m: b.m}, nil
}

type mailboxSession struct {
	m        *testMailbox
	from, to string
}

func (s *mailboxSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}

func (s *mailboxSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	if s.m.refusals > 0 {
		s.m.refusals--
		s.m.mu.Unlock()
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	s.m.mu.Unlock()

	got, err := decodeMail(raw)
	if err != nil {
		return err
	}
	got.To = s.to

	s.m.mu.Lock()
	s.m.mails = append(s.m.mails, got)
	s.m.mu.Unlock()
	select {
	case s.m.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (s *mailboxSession) Reset()        {}
func (s *mailboxSession) Logout() error { return nil }

// decodeMail reads the subject and the text and HTML parts of a MIME message.
func decodeMail(raw []byte) (receivedMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return receivedMail{}, err
	}
	var got receivedMail
	dec := new(mime.WordDecoder)
	if got.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return got, err
	}
	got.From = msg.Header.Get("From")
	err = decodePart(&got, msg.Header.Get("Content-Type"),
		msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return got, err
}

func decodePart(got *receivedMail, contentType, encoding string, body io.Reader) error {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			err = decodePart(got, p.Header.Get("Content-Type"),
				p.Header.Get("Content-Transfer-Encoding"), p)
			if err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch media {
	case "text/plain":
		got.Text = string(b)
	case "text/html":
		got.HTML = string(b)
	}
	return nil
}
