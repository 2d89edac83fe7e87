package vncard

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// QR is the payload of the QR code on the 2021 card:
// ID|old ID|full name|ddmmyyyy|sex|address|issue ddmmyyyy.
type QR struct {
	ID          string
	OldID       string // "" when the citizen had no 9-digit ID
	FullName    string
	DateOfBirth Date
	Sex         string
	Address     string
	IssueDate   Date // zero when the payload has only 6 fields
	// Extra holds fields after the seventh, which newer cards may add.
	Extra []string
}

const qrMinFields = 6

// ParseQR reads a QR payload. It needs at least 6 fields and keeps unknown
// extra ones; the ID must be 12 digits and the dates must parse, so a
// misread code is refused rather than half-used.
func ParseQR(s string) (*QR, error) {
	if len(s) > maxInputLen {
		return nil, fmt.Errorf("vncard: QR payload of %d bytes is too long", len(s))
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("vncard: QR payload is not UTF-8")
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
	f := strings.Split(s, "|")
	if len(f) < qrMinFields {
		return nil, fmt.Errorf("vncard: QR payload has %d fields separated by |, need at least %d", len(f), qrMinFields)
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	q := &QR{ID: f[0], OldID: f[1], FullName: f[2], Sex: f[4], Address: f[5]}
	if !ValidID(q.ID) {
		return nil, fmt.Errorf("vncard: QR personal ID %q is not 12 digits", q.ID)
	}
	if q.OldID != "" && !allDigits(q.OldID) {
		return nil, fmt.Errorf("vncard: QR old ID %q is not a number", q.OldID)
	}
	if q.FullName == "" {
		return nil, fmt.Errorf("vncard: QR payload has no name")
	}
	var err error
	if q.DateOfBirth, err = ParseDate(f[3]); err != nil {
		return nil, fmt.Errorf("vncard: QR date of birth: %w", err)
	}
	if len(f) > qrMinFields && f[6] != "" {
		if q.IssueDate, err = ParseDate(f[6]); err != nil {
			return nil, fmt.Errorf("vncard: QR issue date: %w", err)
		}
	}
	if len(f) > qrMinFields+1 {
		q.Extra = f[qrMinFields+1:]
	}
	return q, nil
}

// String encodes the payload as the card prints it.
func (q *QR) String() string {
	dmy := func(d Date) string { return strings.ReplaceAll(d.DMY(), "/", "") }
	f := []string{q.ID, q.OldID, q.FullName, dmy(q.DateOfBirth), q.Sex, q.Address, dmy(q.IssueDate)}
	return strings.Join(append(f, q.Extra...), "|")
}
