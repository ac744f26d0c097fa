package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// newToken returns a one-time token for a link (32 random bytes, base64url without
// padding) and the SHA-256 hash that is stored in its place.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken returns the stored form of token.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
