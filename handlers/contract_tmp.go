package handlers

// A temporary stand-in for password.Validate with related words, which the
// credentials work brings. Delete this file when main has it.

import (
	"fmt"
	"unicode/utf8"
)

// validatePassword stands in for password.Validate(pw, related...): 12 to 128
// characters.
func validatePassword(pw string, _ ...string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < 12:
		return fmt.Errorf("a password needs at least 12 characters")
	case n > 128:
		return fmt.Errorf("a password may have at most 128 characters")
	}
	return nil
}
