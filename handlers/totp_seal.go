package handlers

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// sealedPrefix starts a TOTP key sealed by totpSealer in user_totp.secret; a key
// without it was stored in base32 before keys were sealed.
const sealedPrefix = "v1:"

// developmentTOTPKey seals TOTP keys when Config.TOTPKey is not set. It is written
// here, so it protects nothing: production refuses to start without TOTP_KEY.
var developmentTOTPKey = sha256.Sum256([]byte("JusB Portal development TOTP key"))

// totpSealer keeps the users' TOTP keys encrypted in the database, with AES-256-GCM
// under a key that lives outside it (TOTP_KEY): a copy of the database, a backup
// included, does not hand out second factors. The user's ID is the additional data,
// so a sealed key moved to another user's row does not open. Older keys (TOTP_OLD_KEYS)
// still open what they sealed, until the pass at start has sealed it again under the
// current one: that is how TOTP_KEY changes.
type totpSealer struct {
	aead cipher.AEAD
	old  []cipher.AEAD
}

// newTOTPSealer seals under key and opens under key and each of old.
func newTOTPSealer(key []byte, old ...[]byte) (*totpSealer, error) {
	aead, err := newTOTPAEAD(key)
	if err != nil {
		return nil, err
	}
	s := &totpSealer{aead: aead}
	for i, k := range old {
		a, err := newTOTPAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("old key %d: %w", i+1, err)
		}
		s.old = append(s.old, a)
	}
	return s, nil
}

// newTOTPAEAD is AES-256-GCM under a 32-byte key.
func newTOTPAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("TOTP key: %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("TOTP key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("TOTP key: %w", err)
	}
	return aead, nil
}

// seal returns secret encrypted for user's row, with a fresh random nonce.
func (s *totpSealer) seal(user uuid.UUID, secret string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	box := s.aead.Seal(nonce, nonce, []byte(secret), user[:])
	return sealedPrefix + base64.StdEncoding.EncodeToString(box)
}

// errTOTPKeyUnreadable reports a sealed key that does not open: TOTP_KEY is not the
// key it was sealed with, or the row was changed.
var errTOTPKeyUnreadable = errors.New("TOTP key does not open: is TOTP_KEY the one " +
	"it was sealed with?")

// open returns the base32 key that stored holds for user. A key stored before sealing
// comes back as it is.
func (s *totpSealer) open(user uuid.UUID, stored string) (string, error) {
	secret, _, err := s.openAny(user, stored)
	return secret, err
}

// openAny is open that also tells whether stored should be sealed again: it is in
// base32, or it opened only under an older key.
func (s *totpSealer) openAny(user uuid.UUID, stored string) (secret string, reseal bool,
	err error) {
	rest, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, true, nil
	}
	box, err := base64.StdEncoding.DecodeString(rest)
	n := s.aead.NonceSize()
	if err != nil || len(box) < n {
		return "", false, errTOTPKeyUnreadable
	}
	for i, aead := range append([]cipher.AEAD{s.aead}, s.old...) {
		if plain, err := aead.Open(nil, box[:n], box[n:], user[:]); err == nil {
			return string(plain), i > 0, nil
		}
	}
	return "", false, errTOTPKeyUnreadable
}

// SealStoredTOTPKeys seals under the current TOTP_KEY the TOTP keys stored before keys
// were sealed and those sealed under an older key, on the staff connection, and returns
// how many it sealed. `portal serve` calls it at start; each key is replaced only if
// it is still the one read, so two servers starting at once seal each key once. A key
// that no key opens is left as it is and logged: its user cannot use it until TOTP_KEY
// or TOTP_OLD_KEYS holds the key it was sealed with.
func (s *Server) SealStoredTOTPKeys(ctx context.Context) (int, error) {
	sealed := 0
	err := s.store.Staff(ctx, func(q *db.Queries) error {
		keys, err := q.ListTOTPKeysGlobal(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			secret, reseal, err := s.totp.openAny(k.UserID, k.Secret)
			if err != nil {
				s.log.Error("TOTP key not sealed again", slog.String("user_id",
					k.UserID.String()), slog.Any("error", err))
				continue
			}
			if !reseal {
				continue
			}
			n, err := q.SealTOTPKeyGlobal(ctx, db.SealTOTPKeyGlobalParams{
				Sealed: s.totp.seal(k.UserID, secret), OrgID: k.OrgID, UserID: k.UserID,
				Stored: k.Secret})
			if err != nil {
				return err
			}
			sealed += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seal stored TOTP keys: %w", err)
	}
	return sealed, nil
}
