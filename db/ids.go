package db

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// OrgID identifies an organization. It is a type of its own, not a uuid.UUID, so that
// a user's or a thread's ID passed where an organization's is expected does not
// compile. sqlc uses it for every org_id column and for organization.id.
type OrgID uuid.UUID

// ParseOrgID parses the text form of an organization's ID.
func ParseOrgID(s string) (OrgID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return OrgID{}, fmt.Errorf("parse organization id: %w", err)
	}
	return OrgID(id), nil
}

// String returns the canonical text form of the ID.
func (id OrgID) String() string { return uuid.UUID(id).String() }

// IsZero reports whether the ID is unset.
func (id OrgID) IsZero() bool { return id == OrgID{} }

// ScanUUID implements pgtype.UUIDScanner so pgx can read an OrgID from a uuid column.
func (id *OrgID) ScanUUID(v pgtype.UUID) error {
	if !v.Valid {
		return fmt.Errorf("scan organization id: NULL")
	}
	*id = OrgID(v.Bytes)
	return nil
}

// UUIDValue implements pgtype.UUIDValuer so pgx can write an OrgID to a uuid column.
func (id OrgID) UUIDValue() (pgtype.UUID, error) {
	return pgtype.UUID{Bytes: id, Valid: true}, nil
}
