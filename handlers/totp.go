package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor is RFC 6238 TOTP as every authenticator app reads it: SHA-1, six
// digits, 30-second steps. A code is accepted for the step before and after the
// current one too, for clocks that are a little off.
const (
	totpIssuer = "JusB Portal"
	totpPeriod = 30
	totpSkew   = 1
	// recoveryCodeCount is how many recovery codes enrolment hands out.
	recoveryCodeCount = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1}

// newTOTPKey makes a fresh key (160 random bits) for the account email.
func newTOTPKey(email string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: email,
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("generate TOTP key: %w", err)
	}
	return key, nil
}

// matchTOTP returns the time step whose code code is, for secret at now within the
// skew, and whether there is one. The caller must still check that the step was not
// used before (UseTOTPStep), so that no code works twice.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		at := time.Unix((step+d)*totpPeriod, 0)
		want, err := totp.GenerateCodeCustom(secret, at, totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true
		}
	}
	return 0, false
}

// isTOTPCode tells a six-digit code from a recovery code.
func isTOTPCode(code string) bool {
	code = strings.TrimSpace(code)
	return len(code) == 6 && strings.Trim(code, "0123456789") == ""
}

// qrDataURL draws key's otpauth:// URL as a QR code, a PNG in a data: URL, so that
// the secret never travels in a request of its own.
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", fmt.Errorf("draw QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// newRecoveryCodes returns recoveryCodeCount codes as people see them (16 base32
// characters, 80 random bits, in groups of four) and the hashes that are stored.
func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range recoveryCodeCount {
		raw := strings.ToLower(rand.Text()[:16])
		codes = append(codes, raw[:4]+"-"+raw[4:8]+"-"+raw[8:12]+"-"+raw[12:])
		hashes = append(hashes, hashToken(raw))
	}
	return codes, hashes
}

// recoveryCodeHash is the stored form of a recovery code as typed: spaces, dashes
// and case do not matter.
func recoveryCodeHash(code string) []byte {
	code = strings.ToLower(code)
	code = strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code)
	return hashToken(code)
}
