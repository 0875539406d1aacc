package account

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Staff administration: listing accounts, roles, the first admin, the
// audit log.

// Users lists accounts for the admin.
// Personal fields that the list does not need (the sealed phone, the
// password hash) are cleared.
func (s *Service) Users(ctx context.Context, after int64, limit int) ([]User, error) {
	users, err := s.c.Store.Users(ctx, after, limit)
	for i := range users {
		users[i].Phone, users[i].PasswordHash = "", ""
	}
	return users, err
}

// SetRole changes an account's role. The account is signed out everywhere,
// so its next session starts with a new id and the new privileges.
func (s *Service) SetRole(ctx context.Context, id int64, role string, m Meta) error {
	if role != RoleAdmin && role != RoleStaff && role != RoleCustomer {
		return ocean.Invalid("The role is not valid.", ocean.FieldError{Field: "role", Message: "must be customer, staff or admin"})
	}
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == role {
		return nil
	}
	if u.Role == RoleAdmin {
		n, err := s.c.Store.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return &ocean.Error{Code: ocean.ECONFLICT, Message: "The shop needs at least one admin."}
		}
	}
	if err := s.c.Store.SetRole(ctx, id, role); err != nil {
		return err
	}
	if err := s.signOutEverywhere(ctx, id, ""); err != nil {
		return err
	}
	s.audit(ctx, EventRoleChange, m.ActorID, id, m, u.Role+" → "+role)
	return nil
}

// SetRoleByEmail is SetRole for `ocean users set-role`: the account is
// named by its email address, the change is written to out and to the
// audit log (as done from the command line).
func (s *Service) SetRoleByEmail(ctx context.Context, email, role string, out io.Writer) error {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	u, err := s.c.Store.UserByEmail(ctx, norm)
	if err != nil {
		return err
	}
	if u.ErasedAt != nil {
		return ocean.Errorf(ocean.ENOTFOUND, "No account has that email address.")
	}
	if err := s.SetRole(ctx, u.ID, role, Meta{}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s is now %s (signed out everywhere)\n", u.Email, role)
	return err
}

// CreateAdmin makes a staff account (or promotes an existing one, keeping
// its password when password is empty).
func (s *Service) CreateAdmin(ctx context.Context, email, password, name string, m Meta) (*User, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if existing, err := s.c.Store.UserByEmail(ctx, norm); err == nil && existing.ErasedAt == nil {
		if password != "" {
			if err := CheckPassword(password); err != nil {
				return nil, err
			}
			if err := s.setPassword(ctx, existing.ID, password, ""); err != nil {
				return nil, err
			}
		}
		if existing.Role != RoleAdmin {
			if err := s.c.Store.SetRole(ctx, existing.ID, RoleAdmin); err != nil {
				return nil, err
			}
			if err := s.signOutEverywhere(ctx, existing.ID, ""); err != nil {
				return nil, err
			}
			s.audit(ctx, EventRoleChange, m.ActorID, existing.ID, m, existing.Role+" → admin")
			existing.Role = RoleAdmin
		}
		return existing, nil
	}
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	if name == "" {
		name = "Shop admin"
	}
	return s.create(ctx, norm, password, name, RoleAdmin, m)
}

// EnsureAdmin creates the first admin when the shop has none. With no
// password given it generates one and returns it to be shown once.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (u *User, generated string, err error) {
	n, err := s.c.Store.CountAdmins(ctx)
	if err != nil || n > 0 {
		return nil, "", err
	}
	if password == "" {
		if generated, err = GeneratePassword(); err != nil {
			return nil, "", err
		}
		password = generated
	}
	u, err = s.CreateAdmin(ctx, email, password, "Shop admin", Meta{})
	if ocean.ErrorCode(err) == ocean.ECONFLICT {
		// Instances of a fleet starting at once: another one won the race.
		if n, cerr := s.c.Store.CountAdmins(ctx); cerr == nil && n > 0 {
			return nil, "", nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	return u, generated, nil
}

// GeneratePassword returns a random 20-character password.
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 57 bias is negligible at 20 chars
	}
	return string(b), nil
}

// AuditEvents lists the security log for the admin.
func (s *Service) AuditEvents(ctx context.Context, userID, before int64, limit int) ([]AuditEvent, error) {
	return s.c.Store.AuditEvents(ctx, userID, before, limit)
}

// RecordAdminAction writes an admin action to the audit log.
func (s *Service) RecordAdminAction(ctx context.Context, action string, m Meta) {
	s.audit(ctx, "admin."+action, m.ActorID, 0, m, "")
}

// RecordAdminActionDetail writes an admin action with what it was given
// and how it ended (cut to 1000 bytes) to the audit log.
func (s *Service) RecordAdminActionDetail(ctx context.Context, action, detail string, m Meta) {
	if len(detail) > 1000 {
		detail = strings.ToValidUTF8(detail[:1000], "")
	}
	s.audit(ctx, "admin."+action, m.ActorID, 0, m, detail)
}
