package handlers

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestTOTPSealer seals a key for one user and opens it only with the same key and for
// the same user, untouched; a key stored before sealing opens as it is.
func TestTOTPSealer(t *testing.T) {
	const secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
	key := bytes.Repeat([]byte{7}, 32)
	sealer, err := newTOTPSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newTOTPSealer(bytes.Repeat([]byte{8}, 32))
	alice, bob := uuid.New(), uuid.New()
	sealed := sealer.seal(alice, secret)
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 1

	tests := []struct {
		name   string
		sealer *totpSealer
		user   uuid.UUID
		stored string
		want   string // "" for an error
	}{
		{"the same key and user", sealer, alice, sealed, secret},
		{"another user's row", sealer, bob, sealed, ""},
		{"another TOTP_KEY", other, alice, sealed, ""},
		{"a changed byte", sealer, alice, string(flipped), ""},
		{"not base64", sealer, alice, sealedPrefix + "!!!", ""},
		{"stored before sealing", sealer, alice, secret, secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.open(tt.user, tt.stored)
			if tt.want == "" && err == nil || tt.want != "" && (err != nil || got != tt.want) {
				t.Errorf("open = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// After a change of TOTP_KEY the old key still opens what it sealed, and says so.
	rotated, err := newTOTPSealer(bytes.Repeat([]byte{9}, 32), key)
	if err != nil {
		t.Fatal(err)
	}
	if got, reseal, err := rotated.openAny(alice, sealed); err != nil || got != secret ||
		!reseal {
		t.Errorf("under the new key with the old one kept: %q, reseal %v, %v", got,
			reseal, err)
	}
	if _, reseal, _ := rotated.openAny(alice, rotated.seal(alice, secret)); reseal {
		t.Error("a key sealed under the current key is to be sealed again")
	}
	if again := sealer.seal(alice, secret); again == sealed {
		t.Error("two seals of the same key are alike: the nonce is not fresh")
	}
	if _, err := newTOTPSealer(key[:16]); err == nil {
		t.Error("a 16-byte key accepted")
	}
}

// TestSealStoredTOTPKeys seals the keys stored in base32 before sealing (the fixture's
// staff member has one), once, and the second factor still signs in with them.
func TestSealStoredTOTPKeys(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	n, err := env.srv.SealStoredTOTPKeys(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sealed %d keys (%v), want the staff member's 1", n, err)
	}
	var stored string
	if err := env.staffConn().QueryRow(ctx, `SELECT secret FROM user_totp
		WHERE user_id = $1`, env.fix.Admin.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, sealedPrefix) || strings.Contains(stored, testTOTPSecret) {
		t.Errorf("stored key %q, want it sealed", stored)
	}
	if n, err := env.srv.SealStoredTOTPKeys(ctx); err != nil || n != 0 {
		t.Errorf("a second pass sealed %d (%v), want 0", n, err)
	}

	c := env.client()
	c.signIn("admin@jusb.example", testPassword)
	if got := c.passTwoFactor("admin@jusb.example"); got.StatusCode != 303 {
		t.Errorf("second factor with the sealed key: %d, want 303", got.StatusCode)
	}

	// TOTP_KEY changes: a process with the new key and the old one seals it again, and
	// then the new key alone opens it.
	newKey := bytes.Repeat([]byte{5}, 32)
	moving := env.secondProcess(t, Config{TOTPKey: newKey,
		TOTPOldKeys: [][]byte{developmentTOTPKey[:]}})
	if n, err := moving.srv.SealStoredTOTPKeys(ctx); err != nil || n != 1 {
		t.Fatalf("sealed again under the new key: %d (%v), want 1", n, err)
	}
	moved := env.secondProcess(t, Config{TOTPKey: newKey})
	c = moved.client()
	c.signIn("admin@jusb.example", testPassword)
	if got := c.passTwoFactor("admin@jusb.example"); got.StatusCode != 303 {
		t.Errorf("second factor under the new key alone: %d, want 303", got.StatusCode)
	}
}
