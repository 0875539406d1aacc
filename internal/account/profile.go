package account

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
)

// Profile and addresses: a shopper's own fields, saved addresses, and the
// data export and erasure.

// Profile is a change to an account's own fields; nil leaves one as is.
type Profile struct {
	Email *string
	Name  *string
	Phone *string
}

// UpdateProfile changes the caller's own email, name or phone. A client
// cannot change anything else (role, password) this way.
func (s *Service) UpdateProfile(ctx context.Context, id int64, p Profile, m Meta) (*User, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	var fe []ocean.FieldError
	if p.Email != nil {
		e, err := NormalizeEmail(*p.Email)
		if err != nil {
			fe = append(fe, ocean.ErrorFields(err)...)
		}
		u.Email = e
	}
	if p.Name != nil {
		u.Name = strings.TrimSpace(*p.Name)
		fe = checkText(fe, "name", u.Name, true, MaxName)
	}
	if p.Phone != nil {
		u.Phone = strings.TrimSpace(*p.Phone)
		fe = checkPhone(fe, "phone", u.Phone)
	}
	if len(fe) > 0 {
		return nil, ocean.Invalid("Some fields need attention.", fe...)
	}
	stored := *u
	if stored.Phone, err = s.seal(u.Phone, phoneAAD(u.ID)); err != nil {
		return nil, err
	}
	stored.UpdatedAt = s.now().UTC()
	if err := s.c.Store.UpdateUser(ctx, &stored); err != nil {
		if ocean.ErrorCode(err) == ocean.ECONFLICT {
			return nil, &ocean.Error{Code: ocean.ECONFLICT, Message: "Another account uses this email address.", Fields: []ocean.FieldError{{Field: "email", Message: "is already registered"}}}
		}
		return nil, err
	}
	s.audit(ctx, EventProfileChange, m.ActorID, u.ID, m, "")
	return u, nil
}

type addressData struct {
	Name       string `json:"n"`
	Line1      string `json:"l1"`
	Line2      string `json:"l2,omitempty"`
	City       string `json:"c"`
	PostalCode string `json:"p,omitempty"`
	Phone      string `json:"t,omitempty"`
}

// Addresses lists the account's address book, default first.
func (s *Service) Addresses(ctx context.Context, userID int64) ([]Address, error) {
	rows, err := s.c.Store.Addresses(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Address, 0, len(rows))
	for _, r := range rows {
		plain, err := s.open(r.Data, addressAAD(userID))
		if err != nil {
			return nil, err
		}
		var d addressData
		if err := json.Unmarshal([]byte(plain), &d); err != nil {
			return nil, fmt.Errorf("address %d: %w", r.ID, err)
		}
		a := Address{ID: r.ID, Address: ocean.Address{Name: d.Name, Line1: d.Line1, Line2: d.Line2, City: d.City, PostalCode: d.PostalCode, Phone: d.Phone, Country: r.Country}, IsDefault: r.IsDefault}
		if a.IsDefault {
			out = append([]Address{a}, out...)
		} else {
			out = append(out, a)
		}
	}
	return out, nil
}

// MaxAddresses bounds an address book.
const MaxAddresses = 20

// AddAddress adds to the caller's address book; the first becomes default.
func (s *Service) AddAddress(ctx context.Context, userID int64, a Address, m Meta) (*Address, error) {
	a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.Phone = strings.TrimSpace(a.Name), strings.TrimSpace(a.Line1), strings.TrimSpace(a.Line2), strings.TrimSpace(a.City), strings.TrimSpace(a.PostalCode), strings.TrimSpace(a.Phone)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	existing, err := s.c.Store.Addresses(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= MaxAddresses {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The address book is full (" + strconv.Itoa(MaxAddresses) + " addresses): delete one first."}
	}
	if len(existing) == 0 {
		a.IsDefault = true
	}
	b, _ := json.Marshal(addressData{Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode, Phone: a.Phone})
	sealed, err := s.seal(string(b), addressAAD(userID))
	if err != nil {
		return nil, err
	}
	r := &StoredAddress{UserID: userID, Data: sealed, Country: a.Country, IsDefault: a.IsDefault, CreatedAt: s.now().UTC()}
	if err := s.c.Store.AddAddress(ctx, r); err != nil {
		return nil, err
	}
	a.ID = r.ID
	s.audit(ctx, EventProfileChange, m.ActorID, userID, m, "address added")
	return &a, nil
}

// DeleteAddress removes one of the caller's addresses; another account's
// address is ENOTFOUND, exactly like a missing one.
func (s *Service) DeleteAddress(ctx context.Context, userID, id int64, m Meta) error {
	if err := s.c.Store.DeleteAddress(ctx, userID, id); err != nil {
		return err
	}
	s.audit(ctx, EventProfileChange, m.ActorID, userID, m, "address deleted")
	return nil
}

// Export is every piece of personal data the shop holds about an account.
type Export struct {
	ExportedAt time.Time      `json:"exported_at"`
	Account    ExportUser     `json:"account"`
	Addresses  []Address      `json:"addresses"`
	Orders     []order.Export `json:"orders"`
	Events     []AuditEvent   `json:"security_events"`
}

// ExportUser is the account part of an export.
type ExportUser struct {
	ID        int64     `json:"id,string"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Export gathers the account's personal data.
func (s *Service) Export(ctx context.Context, id int64, m Meta) (*Export, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	addrs, err := s.Addresses(ctx, id)
	if err != nil {
		return nil, err
	}
	events, err := s.c.Store.AuditEvents(ctx, id, 0, 1000)
	if err != nil {
		return nil, err
	}
	orders := []order.Export{}
	if f := s.orderExport.Load(); f != nil {
		if orders, err = (*f)(ctx, id); err != nil {
			return nil, err
		}
	}
	s.audit(ctx, EventExport, m.ActorID, id, m, "")
	return &Export{ExportedAt: s.now().UTC(), Account: ExportUser{ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, Role: u.Role, CreatedAt: u.CreatedAt},
		Addresses: addrs, Orders: orders, Events: events}, nil
}

// Erase deletes an account's personal data. The account row stays with a
// pseudonym so orders (kept for invoices) still point somewhere.
func (s *Service) Erase(ctx context.Context, id int64, m Meta) error {
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == RoleAdmin {
		n, err := s.c.Store.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return &ocean.Error{Code: ocean.ECONFLICT, Message: "This is the shop's last admin account: make another admin before deleting it."}
		}
	}
	pseudonym := "erased-" + strconv.FormatInt(id, 10) + "@invalid"
	if err := s.c.Store.Erase(ctx, id, pseudonym, s.now().UTC()); err != nil {
		return err
	}
	s.audit(ctx, EventErase, m.ActorID, id, m, "")
	return nil
}
