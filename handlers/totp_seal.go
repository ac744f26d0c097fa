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
// so a sealed key moved to another user's row does not open.
type totpSealer struct{ aead cipher.AEAD }

func newTOTPSealer(key []byte) (*totpSealer, error) {
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
	return &totpSealer{aead: aead}, nil
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
	rest, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, nil
	}
	box, err := base64.StdEncoding.DecodeString(rest)
	n := s.aead.NonceSize()
	if err != nil || len(box) < n {
		return "", errTOTPKeyUnreadable
	}
	secret, err := s.aead.Open(nil, box[:n], box[n:], user[:])
	if err != nil {
		return "", errTOTPKeyUnreadable
	}
	return string(secret), nil
}

// SealStoredTOTPKeys seals the TOTP keys stored before keys were sealed, on the staff
// connection, and returns how many it sealed. `portal serve` calls it at start; each
// key is replaced only if it is still the one read, so two servers starting at once
// seal each key once.
func (s *Server) SealStoredTOTPKeys(ctx context.Context) (int, error) {
	sealed := 0
	err := s.store.Staff(ctx, func(q *db.Queries) error {
		plain, err := q.ListUnsealedTOTPKeysGlobal(ctx)
		if err != nil {
			return err
		}
		for _, k := range plain {
			n, err := q.SealTOTPKeyGlobal(ctx, db.SealTOTPKeyGlobalParams{
				Sealed: s.totp.seal(k.UserID, k.Secret), OrgID: k.OrgID, UserID: k.UserID,
				Plain: k.Secret})
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
