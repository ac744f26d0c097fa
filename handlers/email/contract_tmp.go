// Package email is a temporary stand-in for the mail outbox contract on main; it is
// deleted when main's handlers/email arrives.
package email

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Message is one e-mail to one person, in plain text and HTML.
type Message struct {
	To, Subject, Text, HTML string
}

//go:embed templates
var templates embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templates, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/*.html"))
)

// Render fills templates/<name>.txt and templates/<name>.html with data.
func Render(name string, data any) (subject, text, html string, err error) {
	var buf bytes.Buffer
	t := textTemplates.Lookup(name + ".txt")
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
