// Package email renders the portal's e-mails from templates and sends them, over SMTP
// or, where no SMTP server is configured, into the log.
package email

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one e-mail to one person, in plain text and HTML.
type Message struct {
	To, Subject, Text, HTML string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

//go:embed templates
var templates embed.FS

var (
	textTemplates = parseTextTemplates()
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/*.html"))
)

// parseTextTemplates parses each text template file into a set of its own, keyed by
// its name without ".txt", so that each file's "subject" is its own: in one set shared
// by all files, the last file's definition would win.
func parseTextTemplates() map[string]*texttemplate.Template {
	files, err := fs.Glob(templates, "templates/*.txt")
	if err != nil {
		panic(err)
	}
	sets := make(map[string]*texttemplate.Template, len(files))
	for _, f := range files {
		sets[strings.TrimSuffix(path.Base(f), ".txt")] = texttemplate.Must(
			texttemplate.ParseFS(templates, f))
	}
	return sets
}

// Render fills the templates templates/<name>.txt and templates/<name>.html with data.
// The subject is the "subject" template that the text file defines.
func Render(name string, data any) (subject, text, html string, err error) {
	var buf bytes.Buffer
	t := textTemplates[name]
	if t == nil {
		return "", "", "", fmt.Errorf("render %s: no text template", name)
	}
	if err := t.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("render %s text: %w", name, err)
	}
	text = buf.String()

	buf.Reset()
	if err := t.ExecuteTemplate(&buf, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("render %s subject: %w", name, err)
	}
	subject = strings.Join(strings.Fields(buf.String()), " ")

	buf.Reset()
	h := htmlTemplates.Lookup(name + ".html")
	if h == nil {
		return "", "", "", fmt.Errorf("render %s: no HTML template", name)
	}
	if err := h.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("render %s HTML: %w", name, err)
	}
	return subject, text, buf.String(), nil
}

// TLSPolicy says whether the connection to the SMTP server must be encrypted.
type TLSPolicy string

// The TLS policies SMTPConfig accepts.
const (
	// TLSMandatory requires STARTTLS and refuses to send without it (the default).
	TLSMandatory TLSPolicy = "mandatory"
	// TLSOpportunistic uses STARTTLS when the server offers it.
	TLSOpportunistic TLSPolicy = "opportunistic"
	// TLSImplicit connects with TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSPolicy = "implicit"
	// TLSNone sends in the clear: only for a server on the same host or in tests.
	TLSNone TLSPolicy = "none"
)

// SMTPConfig is where and how to send.
type SMTPConfig struct {
	Host string
	Port int
	// Username and Password, when set, authenticate with AUTH PLAIN or LOGIN
	// (whichever the server offers; never over an unencrypted connection).
	Username, Password string
	// From is the sender's address, such as "JusB Portal <portal@jusb.example>".
	From string
	TLS  TLSPolicy
	// Timeout bounds connecting and each command; 15 seconds by default.
	Timeout time.Duration
}

// SMTP sends over an SMTP server with go-mail.
type SMTP struct {
	cfg  SMTPConfig
	opts []mail.Option
}

// NewSMTP checks cfg and returns a sender for it. It does not connect yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("smtp: host and from address are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(cfg.Timeout)}
	if cfg.Port != 0 {
		opts = append(opts, mail.WithPort(cfg.Port))
	}
	switch cfg.TLS {
	case TLSMandatory, "":
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, mail.WithSSLPort(false))
	case TLSNone:
		if cfg.Username != "" {
			return nil, errors.New("smtp: refusing to send a password without TLS")
		}
		opts = append(opts, mail.WithTLSPortPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp: unknown TLS policy %q", cfg.TLS)
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	if _, err := mail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send delivers m over one connection made for it.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("send mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("send mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}

	client, err := mail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail to %s: %w", s.cfg.Host, err)
	}
	return nil
}

// Log writes each message, text body and links included, to the log instead of
// sending it: for development and the demo, where no SMTP server runs.
type Log struct {
	Logger *slog.Logger
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Send logs m, with its links also on their own, ready to copy.
func (l Log) Send(_ context.Context, m Message) error {
	l.Logger.Info("mail not sent: no SMTP server configured; here it is",
		slog.String("to", m.To), slog.String("subject", m.Subject),
		slog.Any("links", linkPattern.FindAllString(m.Text, -1)),
		slog.String("text", m.Text))
	return nil
}
