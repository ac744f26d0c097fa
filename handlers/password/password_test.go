package password_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/handlers/password"
)

// fastParams keep hashing cheap in tests that hash a lot and are not about the cost.
var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1}

// phc matches an argon2id PHC string and captures its parameters, salt and key.
var phc = regexp.MustCompile(
	`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

// stored is what a PHC string says about itself.
type stored struct {
	Params    password.Params
	Salt, Key []byte
}

// parsePHC reads encoded without the package's own decoder, so that the test checks
// the format rather than agreeing with itself.
func parsePHC(t *testing.T, encoded string) stored {
	t.Helper()
	m := phc.FindStringSubmatch(encoded)
	if m == nil {
		t.Fatalf("%q is not an argon2id PHC string", encoded)
	}
	num := func(s string, bits int) uint64 {
		n, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			t.Fatalf("parameter %q in %q: %v", s, encoded, err)
		}
		return n
	}
	b64 := func(s string) []byte {
		b, err := base64.RawStdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("base64 %q in %q: %v", s, encoded, err)
		}
		return b
	}
	return stored{
		Params: password.Params{Memory: uint32(num(m[1], 32)), Time: uint32(num(m[2], 32)),
			Threads: uint8(num(m[3], 8))},
		Salt: b64(m[4]),
		Key:  b64(m[5]),
	}
}

func newHasher(t testing.TB, p password.Params) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(p)
	if err != nil {
		t.Fatalf("NewHasher(%+v): %v", p, err)
	}
	return h
}

func hash(t testing.TB, h *password.Hasher, pw string) string {
	t.Helper()
	encoded, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("Hash(%d bytes): %v", len(pw), err)
	}
	return encoded
}

// TestHashIsArgon2idAtOWASPStrength is A1: the stored string is an argon2id PHC string
// with at least OWASP's minimum cost, and every hash has its own salt.
func TestHashIsArgon2idAtOWASPStrength(t *testing.T) {
	h := newHasher(t, password.DefaultParams)
	first := hash(t, h, "correct horse battery")
	second := hash(t, h, "correct horse battery")

	got := parsePHC(t, first)
	if got.Params.Memory < 19456 || got.Params.Time < 2 || got.Params.Threads != 1 {
		t.Errorf("parameters %+v, want m>=19456, t>=2, p=1", got.Params)
	}
	if diff := cmp.Diff(password.DefaultParams, got.Params); diff != "" {
		t.Errorf("stored parameters (-want +got):\n%s", diff)
	}
	if len(got.Salt) < 16 || len(got.Key) < 32 {
		t.Errorf("salt %d bytes, key %d bytes; want at least 16 and 32",
			len(got.Salt), len(got.Key))
	}

	if first == second {
		t.Fatalf("two hashes of one password are equal: %q", first)
	}
	if again := parsePHC(t, second); string(again.Salt) == string(got.Salt) {
		t.Errorf("two hashes share the salt %x", got.Salt)
	}
	for _, encoded := range []string{first, second} {
		if err := h.Verify(context.Background(), encoded, "correct horse battery"); err != nil {
			t.Errorf("Verify(%q) = %v, want nil", encoded, err)
		}
	}
}

// TestVerifyIsExact is A2: long and Unicode passwords verify exactly, and no byte of a
// long password is ignored (bcrypt, for one, would drop all past the 72nd).
func TestVerifyIsExact(t *testing.T) {
	long := func(n int) string { return strings.Repeat("p", n-1) + "!" }
	tests := []struct {
		name   string
		stored string // the password that was hashed
		given  string // the password offered at sign-in
		want   error
	}{
		{name: "64 bytes", stored: long(64), given: long(64)},
		{name: "73 bytes", stored: long(73), given: long(73)},
		{name: "200 bytes", stored: long(200), given: long(200)},
		{name: "Unicode", stored: "Grüße, 世界! 🔑 пароль", given: "Grüße, 世界! 🔑 пароль"},
		{name: "MaxLength bytes", stored: long(password.MaxLength),
			given: long(password.MaxLength)},
		{name: "200 bytes with the last byte changed", stored: long(200),
			given: long(199) + "?", want: password.ErrMismatch},
		{name: "73 bytes offered as its first 72", stored: long(73), given: long(73)[:72],
			want: password.ErrMismatch},
		{name: "200 bytes offered with one more", stored: long(200), given: long(200) + "!",
			want: password.ErrMismatch},
		{name: "case differs", stored: "Correct Horse", given: "correct horse",
			want: password.ErrMismatch},
		{name: "empty offered", stored: "correct horse", given: "",
			want: password.ErrMismatch},
		{name: "over MaxLength offered", stored: long(password.MaxLength),
			given: long(password.MaxLength) + "!", want: password.ErrMismatch},
	}
	h := newHasher(t, fastParams)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded := hash(t, h, tt.stored)
			err := h.Verify(context.Background(), encoded, tt.given)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHashRefusesOverMaxLength(t *testing.T) {
	h := newHasher(t, fastParams)
	pw := strings.Repeat("x", password.MaxLength+1)
	if _, err := h.Hash(context.Background(), pw); err == nil {
		t.Error("Hash of MaxLength+1 bytes succeeded, want an error")
	}
}

// TestVerifyMalformed checks that a hash that cannot be read is an error, not a match,
// not a mismatch and not a panic; nor may it make Verify spend unbounded memory or time.
func TestVerifyMalformed(t *testing.T) {
	h := newHasher(t, fastParams)
	good := parsePHC(t, hash(t, h, "correct horse battery"))
	salt := base64.RawStdEncoding.EncodeToString(good.Salt)
	key := base64.RawStdEncoding.EncodeToString(good.Key)
	with := func(version, params, salt, key string) string {
		return fmt.Sprintf("$argon2id$%s$%s$%s$%s", version, params, salt, key)
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{name: "empty", encoded: ""},
		{name: "dollars only", encoded: "$$$$$"},
		{name: "bcrypt", encoded: "$2a$10$" + strings.Repeat("N9qo8uLOickgx2ZMRZoMye", 2)},
		{name: "argon2i", encoded: "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{name: "too few fields", encoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{name: "too many fields", encoded: with("v=19", "m=64,t=1,p=1", salt, key) + "$x"},
		{name: "old version", encoded: with("v=16", "m=64,t=1,p=1", salt, key)},
		{name: "version with trailing text", encoded: with("v=19x", "m=64,t=1,p=1", salt, key)},
		{name: "parameters missing", encoded: with("v=19", "", salt, key)},
		{name: "parameters not numbers", encoded: with("v=19", "m=a,t=b,p=c", salt, key)},
		{name: "parameters out of order", encoded: with("v=19", "t=1,m=64,p=1", salt, key)},
		{name: "parameters with trailing text",
			encoded: with("v=19", "m=64,t=1,p=1,x=1", salt, key)},
		{name: "negative memory", encoded: with("v=19", "m=-64,t=1,p=1", salt, key)},
		{name: "zero threads", encoded: with("v=19", "m=64,t=1,p=0", salt, key)},
		{name: "256 threads", encoded: with("v=19", "m=4096,t=1,p=256", salt, key)},
		{name: "zero time", encoded: with("v=19", "m=64,t=0,p=1", salt, key)},
		{name: "huge time", encoded: with("v=19", "m=64,t=4294967295,p=1", salt, key)},
		{name: "huge memory", encoded: with("v=19", "m=4294967295,t=1,p=1", salt, key)},
		{name: "salt not base64", encoded: with("v=19", "m=64,t=1,p=1", "!!!!", key)},
		{name: "salt empty", encoded: with("v=19", "m=64,t=1,p=1", "", key)},
		{name: "salt too short", encoded: with("v=19", "m=64,t=1,p=1", "AAAA", key)},
		{name: "key not base64", encoded: with("v=19", "m=64,t=1,p=1", salt, "!!!!")},
		{name: "key empty", encoded: with("v=19", "m=64,t=1,p=1", salt, "")},
		{name: "key too short", encoded: with("v=19", "m=64,t=1,p=1", salt, "AAAA")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Verify(context.Background(), tt.encoded, "correct horse battery")
			if err == nil || errors.Is(err, password.ErrMismatch) {
				t.Errorf("Verify(%q) = %v, want a decoding error", tt.encoded, err)
			}
		})
	}
}

func TestNewHasherRefusesUnusableParams(t *testing.T) {
	tests := []struct {
		name   string
		params password.Params
	}{
		{name: "zero", params: password.Params{}},
		{name: "zero threads", params: password.Params{Memory: 64, Time: 1}},
		{name: "zero time", params: password.Params{Memory: 64, Threads: 1}},
		{name: "memory below 8 KiB per thread",
			params: password.Params{Memory: 8, Time: 1, Threads: 2}},
		{name: "memory above the bound",
			params: password.Params{Memory: 1 << 30, Time: 1, Threads: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := password.NewHasher(tt.params); err == nil {
				t.Errorf("NewHasher(%+v) succeeded, want an error", tt.params)
			}
		})
	}
}

// TestDecoyIsALiveHash checks what sign-in relies on for unknown addresses: the decoy
// is a readable hash with the live parameters, so verifying against it costs what a
// wrong password costs, and it matches nothing a user would type.
func TestDecoyIsALiveHash(t *testing.T) {
	h := newHasher(t, password.DefaultParams)
	decoy := parsePHC(t, h.Decoy())
	if diff := cmp.Diff(password.DefaultParams, decoy.Params); diff != "" {
		t.Errorf("decoy parameters (-want +got):\n%s", diff)
	}
	live := parsePHC(t, hash(t, h, "correct horse battery"))
	if len(decoy.Salt) != len(live.Salt) || len(decoy.Key) != len(live.Key) {
		t.Errorf("decoy salt/key %d/%d bytes, live %d/%d", len(decoy.Salt), len(decoy.Key),
			len(live.Salt), len(live.Key))
	}
	for _, pw := range []string{"", "correct horse battery", "password"} {
		err := h.Verify(context.Background(), h.Decoy(), pw)
		if !errors.Is(err, password.ErrMismatch) {
			t.Errorf("Verify(decoy, %q) = %v, want ErrMismatch", pw, err)
		}
	}
	if other := newHasher(t, fastParams); other.Decoy() == h.Decoy() {
		t.Error("two hashers share a decoy")
	}
}

// BenchmarkHash measures the cost of one hash with the live parameters, which is what
// each sign-in pays.
func BenchmarkHash(b *testing.B) {
	h := newHasher(b, password.DefaultParams)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
