// Package password hashes and verifies passwords with argon2id.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams are OWASP's minimum for argon2id: 19 MiB, two passes, one thread.
// About 40 ms per hash on the machines this portal was measured on.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MaxLength bounds the input in bytes, so that a huge password cannot be used to
	// burn CPU; argon2id itself takes any length without truncating.
	MaxLength = 1024

	// maxMemory (KiB) and maxTime bound the cost that a stored hash may ask of Verify,
	// far above any setting a web server would choose, so that a corrupted or planted
	// hash cannot make one sign-in allocate gigabytes or run for minutes.
	maxMemory = 256 * 1024
	maxTime   = 16
	// minSaltLen and minKeyLen are the shortest salt and key a stored hash may have.
	minSaltLen = 8
	minKeyLen  = 16
)

// ErrMismatch reports a password that does not match the hash.
var ErrMismatch = errors.New("password does not match")

// Hasher hashes and verifies passwords, at most one per CPU at a time, so that a storm
// of sign-ins cannot starve the rest of the portal or its memory.
type Hasher struct {
	params Params
	slots  chan struct{}
	decoy  string
}

// NewHasher returns a Hasher with the given parameters. It computes a decoy hash with
// the same parameters, which Verify's callers use for unknown users so that an unknown
// address costs the same time as a wrong password.
func NewHasher(params Params) (*Hasher, error) {
	if err := params.check(); err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	h := &Hasher{params: params, slots: make(chan struct{}, runtime.NumCPU())}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("decoy password: %w", err)
	}
	decoy, err := h.Hash(context.Background(), base64.RawURLEncoding.EncodeToString(buf))
	if err != nil {
		return nil, fmt.Errorf("decoy hash: %w", err)
	}
	h.decoy = decoy
	return h, nil
}

// Decoy returns a valid hash of a random password with the live parameters.
func (h *Hasher) Decoy() string { return h.decoy }

// Hash returns the PHC string of password with a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxLength {
		return "", fmt.Errorf("hash password: longer than %d bytes", MaxLength)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory,
		h.params.Threads, keyLen)
	h.release()
	return encode(h.params, salt, key), nil
}

// Verify reports nil when password matches the PHC string encoded, ErrMismatch when
// it does not, and another error when encoded cannot be read.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) error {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return err
	}
	if len(password) > MaxLength {
		return ErrMismatch
	}
	if err := h.acquire(ctx); err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads,
		uint32(len(want)))
	h.release()
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// check reports parameters that argon2 would panic on or that cost too much.
func (p Params) check() error {
	switch {
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time must be between 1 and %d", maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory must be between 8 KiB per thread and %d KiB", maxMemory)
	}
	return nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("decode password hash: not an argon2id PHC string")
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errors.New("decode password hash: unsupported version")
	}
	// Reading the parameters back in their canonical form refuses trailing text,
	// signs and leading zeros that Sscanf alone would accept.
	_, err = fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads)
	if err != nil || parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) {
		return p, nil, nil, errors.New("decode password hash: malformed parameters")
	}
	if err := p.check(); err != nil {
		return p, nil, nil, fmt.Errorf("decode password hash: parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < minSaltLen {
		return p, nil, nil, errors.New("decode password hash: salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < minKeyLen {
		return p, nil, nil, errors.New("decode password hash: key")
	}
	return p, salt, key, nil
}
