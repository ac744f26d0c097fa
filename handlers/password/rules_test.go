package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jusb/portal/handlers/password"
)

// TestValidate is A5: length counts, composition does not, the most common passwords
// and the user's own address and name are refused, each with its reason.
func TestValidate(t *testing.T) {
	const email, name = "bob.brown@acme.example", "Bob Brown"
	long := strings.Repeat("plum ", password.MaxLength/5) + "kiwi"
	tests := []struct {
		name string
		pw   string
		want error // nil: accepted
	}{
		{name: "empty", pw: "", want: password.ErrTooShort},
		{name: "7 characters", pw: "kq7#vbn", want: password.ErrTooShort},
		{name: "8 characters", pw: "kq7#vbn2"},
		{name: "lowercase words, no digit or symbol", pw: "tortoise lantern"},
		{name: "digits only, not a pattern", pw: "48152093716"},
		{name: "7 characters of 3 bytes each", pw: "東京の夜は静か", want: password.ErrTooShort},
		{name: "8 characters of 3 bytes each", pw: "東京の夜は静かで"},
		{name: "MaxLength bytes", pw: long[:password.MaxLength]},
		{name: "MaxLength+1 bytes", pw: long[:password.MaxLength] + "x",
			want: password.ErrTooLong},
		{name: "under MaxLength characters but over MaxLength bytes",
			pw: strings.Repeat("世界", password.MaxLength/4), want: password.ErrTooLong},
		{name: "control character", pw: "tortoise\x00lantern", want: password.ErrInvalid},
		{name: "invalid UTF-8", pw: "tortoise\xfflantern", want: password.ErrInvalid},

		// Common passwords from the lists every cracker starts with.
		{name: "password", pw: "password", want: password.ErrCommon},
		{name: "12345678", pw: "12345678", want: password.ErrCommon},
		{name: "iloveyou", pw: "iloveyou", want: password.ErrCommon},
		{name: "sunshine", pw: "sunshine", want: password.ErrCommon},
		{name: "football", pw: "football", want: password.ErrCommon},
		{name: "trustno1", pw: "trustno1", want: password.ErrCommon},
		{name: "qwertyuiop", pw: "qwertyuiop", want: password.ErrCommon},
		{name: "capitals and l33t do not help", pw: "P@ssw0rd", want: password.ErrCommon},
		{name: "a digit on the end does not help", pw: "Password1", want: password.ErrCommon},
		{name: "a sequence", pw: "abcdefgh", want: password.ErrCommon},
		{name: "a repeat", pw: strings.Repeat("x", 20), want: password.ErrCommon},
		{name: "a date", pw: "20261203", want: password.ErrCommon},

		// The user's own details.
		{name: "the e-mail address", pw: email, want: password.ErrPersonal},
		{name: "the e-mail address in capitals", pw: "BOB.BROWN@ACME.EXAMPLE",
			want: password.ErrPersonal},
		{name: "the name", pw: "Bob Brown", want: password.ErrPersonal},
		{name: "the address's local part", pw: "bob.brown", want: password.ErrPersonal},
		{name: "the name and a year", pw: "bobbrown2026", want: password.ErrPersonal},
		{name: "unrelated to the user", pw: "tortoise lantern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.Validate(tt.pw, email, name)
			if !errors.Is(err, tt.want) {
				t.Errorf("Validate(%q) = %v, want %v", tt.pw, err, tt.want)
			}
			var refused password.Refused
			if err != nil && !errors.As(err, &refused) {
				t.Errorf("error %v is not a Refused a person can read", err)
			}
		})
	}
}

// TestValidateWithoutRelated checks the rule with no user details, as the command
// line uses it.
func TestValidateWithoutRelated(t *testing.T) {
	if err := password.Validate("demo-portal-2026"); err != nil {
		t.Errorf("the demo password is refused: %v", err)
	}
	if err := password.Validate("correct horse battery"); err != nil {
		t.Errorf("the test password is refused: %v", err)
	}
}
