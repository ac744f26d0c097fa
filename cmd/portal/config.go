package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// config is the portal's settings, read from the environment (.env.example documents
// each one).
type config struct {
	Addr         string
	OwnerURL     string
	AppURL       string
	StaffURL     string
	Production   bool
	TrustedProxy bool
	DemoPassword string
	LogLevel     slog.Level
	// DrainWait is how long a stopping server keeps answering, with /readyz at 503, so
	// that a load balancer takes it out of rotation before it stops taking connections.
	DrainWait time.Duration
	// TOTPKey seals the users' TOTP keys in the database (TOTP_KEY, 32 bytes in
	// base64); nil uses the development key, which production refuses. TOTPOldKeys
	// (TOTP_OLD_KEYS, comma-separated) open what earlier keys sealed.
	TOTPKey     []byte
	TOTPOldKeys [][]byte
	// Files holds the file storage and upload settings (cmd/portal/files.go).
	Files filesSettings
	// Mail holds PUBLIC_URL and the SMTP settings (cmd/portal/mail.go).
	Mail mailSettings
}

// defaultDemoPassword signs in the demo users when DEMO_PASSWORD is not set.
const defaultDemoPassword = "demo-portal-2026"

// loadConfig reads .env when present (without overriding the environment) and the
// environment.
func loadConfig() (config, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return config{}, fmt.Errorf("read .env: %w", err)
	}

	c := config{
		Addr:         getenv("ADDR", "127.0.0.1:8080"),
		OwnerURL:     os.Getenv("DATABASE_URL"),
		DemoPassword: getenv("DEMO_PASSWORD", defaultDemoPassword),
	}
	switch env := getenv("PORTAL_ENV", "development"); env {
	case "development":
	case "production":
		c.Production = true
	default:
		return c, fmt.Errorf("PORTAL_ENV must be development or production, not %q", env)
	}
	var err error
	if c.TrustedProxy, err = getbool("TRUSTED_PROXY"); err != nil {
		return c, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(getenv("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	defaultDrain := "0s"
	if c.Production {
		defaultDrain = "5s"
	}
	drain := getenv("DRAIN_WAIT", defaultDrain)
	if c.DrainWait, err = time.ParseDuration(drain); err != nil || c.DrainWait < 0 ||
		c.DrainWait > time.Minute {
		return c, fmt.Errorf("DRAIN_WAIT must be a duration from 0s to 1m, such as 5s, "+
			"not %q", drain)
	}

	if v := os.Getenv("TOTP_KEY"); v != "" {
		if c.TOTPKey, err = totpKey(v); err != nil {
			return c, fmt.Errorf("TOTP_KEY %w", err)
		}
	}
	for v := range strings.SplitSeq(os.Getenv("TOTP_OLD_KEYS"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		k, err := totpKey(v)
		if err != nil {
			return c, fmt.Errorf("each of TOTP_OLD_KEYS %w", err)
		}
		c.TOTPOldKeys = append(c.TOTPOldKeys, k)
	}

	if c.Files, err = loadFilesSettings(); err != nil {
		return c, err
	}
	if c.Mail, err = loadMailSettings(c.Addr); err != nil {
		return c, err
	}

	c.AppURL, err = roleURL("APP_DATABASE_URL", c.OwnerURL, "portal_app")
	if err != nil {
		return c, err
	}
	c.StaffURL, err = roleURL("STAFF_DATABASE_URL", c.OwnerURL, "portal_staff")
	return c, err
}

// roleURL returns the setting named env, or else the owner's URL with the user
// swapped for role and no password (for trust, peer or .pgpass authentication).
func roleURL(env, ownerURL, role string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	if ownerURL == "" {
		return "", fmt.Errorf("set DATABASE_URL (or %s); `make run` sets it for the "+
			"project's local database", env)
	}
	u, err := url.Parse(ownerURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("DATABASE_URL must be a postgres:// URL")
	}
	u.User = url.User(role)
	return u.String(), nil
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func getbool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, not %q", name, v)
	}
	return b, nil
}

// totpKey decodes a TOTP key setting: 32 bytes in base64.
func totpKey(v string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(k) != 32 {
		return nil, errors.New("must be 32 random bytes in base64 (44 characters): " +
			"make one with `openssl rand -base64 32`")
	}
	return k, nil
}
