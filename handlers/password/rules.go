package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
)

// MinLength is the least number of characters a password must have.
const MinLength = 8

// minScore is the least zxcvbn score (0 to 4) a password must reach: 2 means an
// estimated million guesses or more, which every password of zxcvbn's list of the
// 30,000 most common ones, and small variations of them, falls short of.
const minScore = 2

// scoredRunes is how much of a password zxcvbn looks at: its matching grows faster
// than the length, and a password this long is not guessed from a list anyway.
const scoredRunes = 64

// Refused is a reason a password may not be chosen, worded for the person choosing
// it: its text can be shown as it is.
type Refused string

func (r Refused) Error() string { return string(r) }

// The reasons Validate gives.
const (
	ErrTooShort Refused = "Choose a password of at least 8 characters."
	ErrTooLong  Refused = "A password may be at most 1024 bytes long."
	ErrInvalid  Refused = "A password cannot contain control characters."
	ErrPersonal Refused = "Choose a password that is not your e-mail address or your name."
	ErrCommon   Refused = "This password is too easy to guess: it is a common password " +
		"or close to one. A few unrelated words make a strong password."
)

// Validate reports whether pw may be chosen as a password, or why not, in words a
// person can read: at least MinLength characters and at most MaxLength bytes, with no
// rule about which characters; not one of the most common passwords or an easy
// variation of one (zxcvbn's estimate); not one of related (the user's e-mail address
// and name), nor built mainly from them.
func Validate(pw string, related ...string) error {
	switch {
	case !utf8.ValidString(pw) || strings.ContainsFunc(pw, isControl):
		return ErrInvalid
	case utf8.RuneCountInString(pw) < MinLength:
		return ErrTooShort
	case len(pw) > MaxLength:
		return ErrTooLong
	}

	inputs := relatedWords(related)
	lower := strings.ToLower(strings.TrimSpace(pw))
	for _, w := range inputs {
		if lower == w {
			return ErrPersonal
		}
	}

	scored := pw
	if utf8.RuneCountInString(scored) > scoredRunes {
		scored = string([]rune(scored)[:scoredRunes])
	}
	if zxcvbn.PasswordStrength(scored, inputs).Score < minScore {
		if containsAny(lower, inputs) {
			return ErrPersonal
		}
		return ErrCommon
	}
	return nil
}

// relatedWords returns what a password must not be made of: each related string
// lowercased, its words (runs of letters and digits: an address's local part and
// domain, a name's first and last name) and its words run together.
func relatedWords(related []string) []string {
	var words []string
	for _, r := range related {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" {
			continue
		}
		words = append(words, r)
		if local, domain, ok := strings.Cut(r, "@"); ok {
			words = append(words, local, domain)
		}
		parts := strings.FieldsFunc(r, func(c rune) bool {
			return !unicode.IsLetter(c) && !unicode.IsDigit(c)
		})
		if len(parts) > 1 {
			words = append(words, parts...)
			words = append(words, strings.Join(parts, ""))
		}
	}
	return words
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if len(w) >= 3 && strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
