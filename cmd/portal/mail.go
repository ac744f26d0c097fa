package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/jusb/portal/handlers/email"
)

// mailSettings are where e-mail goes and the address its links start with.
type mailSettings struct {
	// PublicURL is the portal's address as people reach it.
	PublicURL string
	// SMTP is nil when SMTP_HOST is not set: the mails are then written to the log.
	SMTP *email.SMTPConfig
}

// loadMailSettings reads PUBLIC_URL and the SMTP_ settings.
func loadMailSettings(addr string) (mailSettings, error) {
	var m mailSettings
	m.PublicURL = getenv("PUBLIC_URL", "http://"+addr)
	u, err := url.Parse(m.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return m, fmt.Errorf("PUBLIC_URL must be an http(s) address without a path, "+
			"not %q", m.PublicURL)
	}

	host := os.Getenv("SMTP_HOST")
	if host == "" {
		return m, nil
	}
	cfg := email.SMTPConfig{Host: host, Username: os.Getenv("SMTP_USERNAME"),
		Password: os.Getenv("SMTP_PASSWORD"), From: os.Getenv("SMTP_FROM"),
		TLS: email.TLSPolicy(getenv("SMTP_TLS", string(email.TLSMandatory)))}
	if cfg.From == "" {
		return m, errors.New("SMTP_FROM is required with SMTP_HOST")
	}
	if p := os.Getenv("SMTP_PORT"); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil || cfg.Port < 1 || cfg.Port > 65535 {
			return m, fmt.Errorf("SMTP_PORT must be a port number, not %q", p)
		}
	}
	m.SMTP = &cfg
	return m, nil
}

// checkProduction reports what a production server lacks: links over https and an SMTP
// server, since invitations and password resets are sent by e-mail.
func (m mailSettings) checkProduction() error {
	if !strings.HasPrefix(m.PublicURL, "https://") {
		return errors.New("PUBLIC_URL must start with https:// in production")
	}
	if m.SMTP == nil {
		return errors.New("set SMTP_HOST (and SMTP_FROM) in production: " +
			"invitations and password resets are sent by e-mail")
	}
	return nil
}
