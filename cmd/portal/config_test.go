package main

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jusb/portal/handlers/email"
)

func TestLoadConfig(t *testing.T) {
	const owner = "postgres://owner:secret@db.example:5433/portal?sslmode=require"
	base := config{
		Addr:         "127.0.0.1:8080",
		OwnerURL:     owner,
		AppURL:       "postgres://portal_app@db.example:5433/portal?sslmode=require",
		StaffURL:     "postgres://portal_staff@db.example:5433/portal?sslmode=require",
		DemoPassword: defaultDemoPassword,
		LogLevel:     slog.LevelInfo,
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr string
	}{
		{name: "defaults, role URLs from the owner's without its password",
			env: map[string]string{"DATABASE_URL": owner}, want: base},
		{name: "every setting", env: map[string]string{
			"DATABASE_URL": owner, "ADDR": ":9000", "PORTAL_ENV": "production",
			"TRUSTED_PROXY": "true", "LOG_LEVEL": "debug", "DEMO_PASSWORD": "demo password",
			"APP_DATABASE_URL": "postgres://app:pw@a/p", "STAFF_DATABASE_URL": "postgres://s@b/p",
			"DRAIN_WAIT": "2s",
		}, want: config{Addr: ":9000", OwnerURL: owner, AppURL: "postgres://app:pw@a/p",
			StaffURL: "postgres://s@b/p", Production: true, TrustedProxy: true,
			DemoPassword: "demo password", LogLevel: slog.LevelDebug,
			DrainWait: 2 * time.Second}},
		{name: "production drains for 5 s unless told", env: map[string]string{
			"DATABASE_URL": owner, "PORTAL_ENV": "production"},
			want: func() config {
				c := base
				c.Production, c.DrainWait = true, 5*time.Second
				return c
			}()},
		{name: "role URLs without an owner URL", env: map[string]string{
			"APP_DATABASE_URL": "postgres://app@a/p", "STAFF_DATABASE_URL": "postgres://s@b/p",
		}, want: config{Addr: base.Addr, AppURL: "postgres://app@a/p",
			StaffURL: "postgres://s@b/p", DemoPassword: defaultDemoPassword}},
		{name: "postgresql scheme and a socket",
			env: map[string]string{"DATABASE_URL": "postgresql:///portal?host=/run/pg"},
			want: config{Addr: base.Addr, OwnerURL: "postgresql:///portal?host=/run/pg",
				AppURL:       "postgresql://portal_app@/portal?host=/run/pg",
				StaffURL:     "postgresql://portal_staff@/portal?host=/run/pg",
				DemoPassword: defaultDemoPassword}},
		{name: "TRUSTED_PROXY false", env: map[string]string{"DATABASE_URL": owner,
			"TRUSTED_PROXY": "false"}, want: base},
		{name: "PORTAL_ENV unknown", env: map[string]string{"DATABASE_URL": owner,
			"PORTAL_ENV": "staging"},
			wantErr: `PORTAL_ENV must be development or production, not "staging"`},
		{name: "PORTAL_ENV in capitals", env: map[string]string{"DATABASE_URL": owner,
			"PORTAL_ENV": "Production"}, wantErr: "PORTAL_ENV must be"},
		{name: "TRUSTED_PROXY not a boolean", env: map[string]string{"DATABASE_URL": owner,
			"TRUSTED_PROXY": "yes"}, wantErr: `TRUSTED_PROXY must be true or false, not "yes"`},
		{name: "TOTP_KEY", env: map[string]string{"DATABASE_URL": owner,
			"TOTP_KEY": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))},
			want: func() config {
				c := base
				c.TOTPKey = bytes.Repeat([]byte{1}, 32)
				return c
			}()},
		{name: "TOTP_KEY too short", env: map[string]string{"DATABASE_URL": owner,
			"TOTP_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16))},
			wantErr: "TOTP_KEY must be 32 random bytes in base64"},
		{name: "TOTP_OLD_KEYS", env: map[string]string{"DATABASE_URL": owner,
			"TOTP_OLD_KEYS": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)) +
				", " + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))},
			want: func() config {
				c := base
				c.TOTPOldKeys = [][]byte{bytes.Repeat([]byte{2}, 32),
					bytes.Repeat([]byte{3}, 32)}
				return c
			}()},
		{name: "TOTP_OLD_KEYS with a bad one", env: map[string]string{"DATABASE_URL": owner,
			"TOTP_OLD_KEYS": "short"}, wantErr: "each of TOTP_OLD_KEYS must be 32 random bytes"},
		{name: "TOTP_KEY not base64", env: map[string]string{"DATABASE_URL": owner,
			"TOTP_KEY": "not a key"}, wantErr: "TOTP_KEY must be 32 random bytes in base64"},
		{name: "DRAIN_WAIT without a unit", env: map[string]string{"DATABASE_URL": owner,
			"DRAIN_WAIT": "5"}, wantErr: `DRAIN_WAIT must be a duration from 0s to 1m`},
		{name: "DRAIN_WAIT too long", env: map[string]string{"DATABASE_URL": owner,
			"DRAIN_WAIT": "2m"}, wantErr: `DRAIN_WAIT must be a duration from 0s to 1m`},
		{name: "LOG_LEVEL unknown", env: map[string]string{"DATABASE_URL": owner,
			"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
		{name: "no database", env: nil, wantErr: "set DATABASE_URL (or APP_DATABASE_URL)"},
		{name: "staff URL missing", env: map[string]string{"APP_DATABASE_URL": "postgres://a@b/c"},
			wantErr: "set DATABASE_URL (or STAFF_DATABASE_URL)"},
		{name: "not a postgres URL", env: map[string]string{
			"DATABASE_URL": "mysql://root@localhost/portal"},
			wantErr: "DATABASE_URL must be a postgres:// URL"},
		{name: "key-value form", env: map[string]string{
			"DATABASE_URL": "host=localhost user=owner dbname=portal"},
			wantErr: "DATABASE_URL must be a postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			got, err := loadConfig()
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			// TestLoadMailSettings covers Mail.
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(config{}, "Mail")); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadMailSettings(t *testing.T) {
	smtp := func(c email.SMTPConfig) *email.SMTPConfig { return &c }
	tests := []struct {
		name       string
		env        map[string]string
		production bool
		want       mailSettings
		wantErr    string
	}{
		{name: "development defaults: links to ADDR, mail to the log",
			want: mailSettings{PublicURL: "http://127.0.0.1:8080"}},
		{name: "every setting", production: true, env: map[string]string{
			"PUBLIC_URL": "https://portal.example", "SMTP_HOST": "smtp.example",
			"SMTP_PORT": "2525", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p",
			"SMTP_FROM": "Portal <portal@example>", "SMTP_TLS": "implicit"},
			want: mailSettings{PublicURL: "https://portal.example", SMTP: smtp(
				email.SMTPConfig{Host: "smtp.example", Port: 2525, Username: "u",
					Password: "p", From: "Portal <portal@example>", TLS: email.TLSImplicit})}},
		{name: "STARTTLS required by default", env: map[string]string{
			"SMTP_HOST": "smtp.example", "SMTP_FROM": "portal@example"},
			want: mailSettings{PublicURL: "http://127.0.0.1:8080", SMTP: smtp(
				email.SMTPConfig{Host: "smtp.example", From: "portal@example",
					TLS: email.TLSMandatory})}},
		{name: "production needs https", production: true, env: map[string]string{
			"PUBLIC_URL": "http://portal.example", "SMTP_HOST": "smtp.example",
			"SMTP_FROM": "portal@example"}, wantErr: "PUBLIC_URL must start with https://"},
		{name: "production needs SMTP", production: true,
			env:     map[string]string{"PUBLIC_URL": "https://portal.example"},
			wantErr: "set SMTP_HOST"},
		{name: "public URL with a path", env: map[string]string{
			"PUBLIC_URL": "https://portal.example/x"}, wantErr: "PUBLIC_URL must be"},
		{name: "no from address", env: map[string]string{"SMTP_HOST": "smtp.example"},
			wantErr: "SMTP_FROM is required"},
		{name: "bad port", env: map[string]string{"SMTP_HOST": "smtp.example",
			"SMTP_FROM": "p@example", "SMTP_PORT": "smtp"}, wantErr: "SMTP_PORT must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			got, err := loadMailSettings("127.0.0.1:8080")
			if err == nil && tt.production {
				err = got.checkProduction()
			}
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("loadMailSettings: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoleURL(t *testing.T) {
	tests := []struct {
		name    string
		set     string // the value of the role's own setting
		owner   string
		want    string
		wantErr string
	}{
		{name: "own setting wins", set: "postgres://app:pw@elsewhere/db",
			owner: "postgres://owner@db/portal", want: "postgres://app:pw@elsewhere/db"},
		{name: "user swapped, password dropped, rest kept",
			owner: "postgres://owner:s3cret@db:6432/portal?sslmode=verify-full&connect_timeout=5",
			want:  "postgres://portal_app@db:6432/portal?sslmode=verify-full&connect_timeout=5"},
		{name: "owner without a user", owner: "postgres://db/portal",
			want: "postgres://portal_app@db/portal"},
		{name: "nothing set", wantErr: "set DATABASE_URL (or TEST_ROLE_URL)"},
		{name: "unparsable owner URL", owner: "postgres://owner:%zz@db/portal",
			wantErr: "DATABASE_URL must be a postgres:// URL"},
		{name: "other scheme", owner: "http://db/portal",
			wantErr: "DATABASE_URL must be a postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TEST_ROLE_URL", tt.set)
			got, err := roleURL("TEST_ROLE_URL", tt.owner, "portal_app")
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("roleURL: %v", err)
			}
			if got != tt.want {
				t.Errorf("roleURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckProduction refuses to serve in production with what only suits
// development, the development TOTP key among it.
func TestCheckProduction(t *testing.T) {
	mail := mailSettings{PublicURL: "https://portal.example",
		SMTP: &email.SMTPConfig{Host: "smtp.example", From: "portal@example"}}
	key := make([]byte, 32)
	tests := []struct {
		name    string
		cfg     config
		wantErr string
	}{
		{"development needs nothing", config{}, ""},
		{"production with mail and a TOTP key", config{Production: true, Mail: mail,
			TOTPKey: key}, ""},
		{"production without TOTP_KEY", config{Production: true, Mail: mail},
			"production needs TOTP_KEY"},
		{"production without SMTP", config{Production: true, TOTPKey: key,
			Mail: mailSettings{PublicURL: "https://portal.example"}}, "set SMTP_HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.checkProduction()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("checkProduction: %v", err)
				}
				return
			}
			checkOneLine(t, err, tt.wantErr)
		})
	}
}
