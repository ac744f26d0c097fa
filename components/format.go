package components

import (
	"strconv"
	"strings"
	"time"
)

// actionLabels names the actions people see, as "<verb> <what>"; an action missing
// here is worded from its name (task.status_changed: "status changed · task").
var actionLabels = map[string]string{
	"user.signed_in":                "signed in",
	"user.signed_out":               "signed out",
	"user.sign_in_failed":           "failed to sign in as",
	"user.password_changed":         "changed the password of",
	"user.password_reset_requested": "asked for a password reset link for",
	"user.password_reset":           "reset the password of",
	"user.two_factor_enabled":       "turned on two-factor sign-in for",
	"user.two_factor_disabled":      "turned off two-factor sign-in for",
	"user.recovery_codes_renewed":   "made new recovery codes for",
	"task.created":                  "created the task",
	"task.updated":                  "edited the task",
	"task.status_changed":           "changed the status of",
	"task.assigned":                 "assigned",
	"task_note.added":               "added a note to",
	"thread.created":                "started the thread",
	"message.posted":                "posted in",
	"file.uploaded":                 "uploaded",
	"file.deleted":                  "deleted",
	"organization.created":          "created the organization",
	"organization.renamed":          "renamed the organization",
	"organization.archived":         "archived the organization",
	"organization.restored":         "restored the organization",
	"staff.visited":                 "opened the workspace as staff",
	"invitation.sent":               "invited",
	"invitation.resent":             "sent the invitation again to",
	"invitation.revoked":            "revoked the invitation of",
	"invitation.accepted":           "accepted the invitation",
	"user.role_changed":             "changed the role of",
	"user.deactivated":              "deactivated",
	"user.reactivated":              "reactivated",
}

// ActionLabel words an activity action for people.
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	target, verb, _ := strings.Cut(action, ".")
	return strings.ReplaceAll(verb, "_", " ") + " · " + strings.ReplaceAll(target, "_", " ")
}

// HumanSize formats a byte count for people, in powers of 1024: 0 B, 1.5 KiB, 12 MiB.
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	prec := 1
	if v >= 10 || v == float64(int64(v)) {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " +
		[]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}[exp]
}

// Count writes n with a comma every three digits: 10,000.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// DateTime formats a moment the same way everywhere: 3 Dec 2026 14:05 UTC.
func DateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// Date formats a calendar date: 3 Dec 2026.
func Date(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// machineTime is the datetime attribute of a <time> element.
func machineTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
