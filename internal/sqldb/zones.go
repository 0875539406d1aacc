package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Shipping zones (migration 0013, decision 0100): shipping_zones with their
// countries in shipping_zone_countries (a country's primary key there is
// what keeps it in one zone) and methods in shipping_methods.

const shipCols = `m.id, m.zone_id, m.code, m.name, m.price, m.currency, m.free_above, m.weight_rates, m.position, m.version`

func scanMethod(sc interface{ Scan(...any) error }) (pricing.ShippingMethod, error) {
	var m pricing.ShippingMethod
	var free sql.NullInt64
	var rates string
	if err := sc.Scan(&m.ID, &m.ZoneID, &m.Code, &m.Name, &m.Price.Amount, &m.Price.Currency, &free, &rates, &m.Position, &m.Version); err != nil {
		return m, err
	}
	if free.Valid {
		m.FreeAbove = &free.Int64
	}
	if rates != "" {
		if err := json.Unmarshal([]byte(rates), &m.WeightRates); err != nil {
			return m, fmt.Errorf("shipping method %d weight rates: %w", m.ID, err)
		}
	}
	return m, nil
}

func scanMethods(rows *sql.Rows, country func(pricing.ShippingMethod) string) ([]pricing.ShippingMethod, error) {
	var out []pricing.ShippingMethod
	err := EachRow(rows, func() error {
		m, err := scanMethod(rows)
		if err != nil {
			return err
		}
		m.Country = country(m)
		out = append(out, m)
		return nil
	})
	return out, err
}

// zoneCountries maps every zone id to its countries, in the order stored
// (by country code, RestOfWorld first since '*' sorts before letters).
func (s *CommerceStore) zoneCountries(ctx context.Context, q zoneQuerier) (map[int64][]string, error) {
	rows, err := q.query(ctx, `SELECT zone_id, country FROM shipping_zone_countries ORDER BY zone_id, country`) //nolint:sqlclosecheck // EachRow closes it
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	err = EachRow(rows, func() error {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return err
		}
		out[id] = append(out[id], c)
		return nil
	})
	return out, err
}

type zoneQuerier interface {
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// ShippingMethods returns the methods of the zone listing country, or when
// none does, those of the RestOfWorld zone. An international rate is never
// offered for a country that has a zone of its own.
func (s *CommerceStore) ShippingMethods(ctx context.Context, country string) ([]pricing.ShippingMethod, error) {
	rows, err := s.db.query(ctx, `SELECT `+shipCols+`, c.country FROM shipping_methods m JOIN shipping_zone_countries c ON c.zone_id = m.zone_id
WHERE c.country = ? OR (c.country = '*' AND NOT EXISTS (SELECT 1 FROM shipping_zone_countries o WHERE o.country = ?))
ORDER BY m.position, m.price, m.code`, country, country)
	if err != nil {
		return nil, err
	}
	var out []pricing.ShippingMethod
	err = EachRow(rows, func() error {
		var m pricing.ShippingMethod
		var free sql.NullInt64
		var rates string
		if err := rows.Scan(&m.ID, &m.ZoneID, &m.Code, &m.Name, &m.Price.Amount, &m.Price.Currency, &free, &rates, &m.Position, &m.Version, &m.Country); err != nil {
			return err
		}
		if free.Valid {
			m.FreeAbove = &free.Int64
		}
		if rates != "" {
			if err := json.Unmarshal([]byte(rates), &m.WeightRates); err != nil {
				return fmt.Errorf("shipping method %d weight rates: %w", m.ID, err)
			}
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// AllShippingMethods lists every method by zone position, then its own.
func (s *CommerceStore) AllShippingMethods(ctx context.Context) ([]pricing.ShippingMethod, error) {
	zc, err := s.zoneCountries(ctx, s.db)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT `+shipCols+` FROM shipping_methods m JOIN shipping_zones z ON z.id = m.zone_id ORDER BY z.position, z.name, m.position, m.code`)
	if err != nil {
		return nil, err
	}
	return scanMethods(rows, func(m pricing.ShippingMethod) string { return first(zc[m.ZoneID]) })
}

func first(cs []string) string {
	if len(cs) == 0 {
		return ""
	}
	return cs[0]
}

func (s *CommerceStore) CreateShippingMethod(ctx context.Context, m *pricing.ShippingMethod) error {
	return s.AddShippingMethod(ctx, m, pricing.Actor{Name: "system"})
}

func (s *CommerceStore) AddShippingMethod(ctx context.Context, m *pricing.ShippingMethod, a pricing.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if m.ZoneID == 0 {
			id, err := s.zoneFor(ctx, tx, m.Country, a)
			if err != nil {
				return err
			}
			m.ZoneID = id
		} else if _, err := s.lockZone(ctx, tx, m.ZoneID); err != nil {
			return err
		}
		rates, err := ratesArg(m.WeightRates)
		if err != nil {
			return err
		}
		id, err := tx.insertID(ctx, `INSERT INTO shipping_methods (zone_id, code, name, price, currency, free_above, weight_rates, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ZoneID, m.Code, m.Name, m.Price.Amount, m.Price.Currency, optInt64(m.FreeAbove), rates, m.Position)
		if s.db.IsUnique(err) {
			return methodTaken(m.Code)
		}
		if err != nil {
			return err
		}
		m.ID, m.Version = id, 1
		return s.audit(ctx, tx, a, "method", strconv.FormatInt(id, 10), "create", 1, nil, m)
	})
}

func methodTaken(code string) error {
	return &ocean.Error{Code: ocean.ECONFLICT, Message: fmt.Sprintf("The zone already has a shipping method with the code %s.", code),
		Fields: []ocean.FieldError{{Field: "code", Message: "is taken in this zone"}}}
}

// zoneFor returns the zone listing exactly country, made (named after it)
// when there is none.
func (s *CommerceStore) zoneFor(ctx context.Context, tx *Tx, country string, a pricing.Actor) (int64, error) {
	var id int64
	var n int
	err := tx.queryRow(ctx, `SELECT c.zone_id, (SELECT COUNT(*) FROM shipping_zone_countries o WHERE o.zone_id = c.zone_id) FROM shipping_zone_countries c WHERE c.country = ?`, country).Scan(&id, &n)
	switch {
	case err == nil && n == 1:
		return id, nil
	case err == nil:
		return 0, ocean.Errorf(ocean.ECONFLICT, "%s is in a zone with other countries; add the method to that zone.", country)
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	}
	z := &pricing.Zone{Name: country, Countries: []string{country}}
	if country == pricing.RestOfWorld {
		z.Name, z.Position = "Rest of the world", 1000
	}
	if err := s.insertZone(ctx, tx, z, a); err != nil {
		return 0, err
	}
	return z.ID, nil
}

func ratesArg(rs []pricing.WeightRate) (string, error) {
	if len(rs) == 0 {
		return "", nil
	}
	b, err := json.Marshal(rs)
	return string(b), err
}

func optInt64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func (s *CommerceStore) ShippingMethod(ctx context.Context, id int64) (*pricing.ShippingMethod, error) {
	return s.methodIn(ctx, s.db, id)
}

func (s *CommerceStore) methodIn(ctx context.Context, q zoneQuerier, id int64) (*pricing.ShippingMethod, error) {
	m, err := scanMethod(q.queryRow(ctx, `SELECT `+shipCols+` FROM shipping_methods m WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no shipping method %d.", id)
	}
	if err != nil {
		return nil, err
	}
	zc, err := s.zoneCountries(ctx, q)
	if err != nil {
		return nil, err
	}
	m.Country = first(zc[m.ZoneID])
	return &m, nil
}

func (s *CommerceStore) UpdateShippingMethod(ctx context.Context, m pricing.ShippingMethod, a pricing.Actor) (*pricing.ShippingMethod, error) {
	var out *pricing.ShippingMethod
	err := s.db.InTx(ctx, func(tx *Tx) error {
		before, err := s.methodIn(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		if before.Version != m.Version {
			return staleErr("shipping method")
		}
		if m.ZoneID != before.ZoneID {
			if _, err := s.lockZone(ctx, tx, m.ZoneID); err != nil {
				return err
			}
		}
		rates, err := ratesArg(m.WeightRates)
		if err != nil {
			return err
		}
		ok, err := changed(tx.exec(ctx, `UPDATE shipping_methods SET zone_id = ?, code = ?, name = ?, price = ?, currency = ?, free_above = ?, weight_rates = ?, position = ?, version = version + 1
WHERE id = ? AND version = ?`, m.ZoneID, m.Code, m.Name, m.Price.Amount, m.Price.Currency, optInt64(m.FreeAbove), rates, m.Position, m.ID, m.Version))
		if s.db.IsUnique(err) {
			return methodTaken(m.Code)
		}
		if err != nil {
			return err
		}
		if !ok {
			return staleErr("shipping method")
		}
		if out, err = s.methodIn(ctx, tx, m.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "method", strconv.FormatInt(m.ID, 10), "update", out.Version, before, out)
	})
	return out, err
}

func (s *CommerceStore) DeleteShippingMethod(ctx context.Context, id, version int64, a pricing.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		before, err := s.methodIn(ctx, tx, id)
		if err != nil {
			return err
		}
		ok, err := changed(tx.exec(ctx, `DELETE FROM shipping_methods WHERE id = ? AND version = ?`, id, version))
		if err != nil {
			return err
		}
		if !ok {
			return staleErr("shipping method")
		}
		return s.audit(ctx, tx, a, "method", strconv.FormatInt(id, 10), "delete", version, before, nil)
	})
}

// lockZone reads a zone's version inside tx, taking the row for the rest
// of the transaction on PostgreSQL; ENOTFOUND when it is gone.
func (s *CommerceStore) lockZone(ctx context.Context, tx *Tx, id int64) (int64, error) {
	q := `SELECT version FROM shipping_zones WHERE id = ?`
	if s.db.Dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var v int64
	err := tx.queryRow(ctx, q, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &ocean.Error{Code: ocean.ENOTFOUND, Message: fmt.Sprintf("There is no shipping zone %d.", id), Fields: []ocean.FieldError{{Field: "zone_id", Message: "is not a zone"}}}
	}
	return v, err
}

func (s *CommerceStore) Zones(ctx context.Context) ([]pricing.Zone, error) {
	return s.zonesIn(ctx, s.db, 0)
}

func (s *CommerceStore) Zone(ctx context.Context, id int64) (*pricing.Zone, error) {
	zs, err := s.zonesIn(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if len(zs) == 0 {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no shipping zone %d.", id)
	}
	return &zs[0], nil
}

// zonesIn reads every zone (id 0) or one, with countries and methods.
func (s *CommerceStore) zonesIn(ctx context.Context, q zoneQuerier, id int64) ([]pricing.Zone, error) {
	zc, err := s.zoneCountries(ctx, q)
	if err != nil {
		return nil, err
	}
	where, args := "", []any{}
	if id != 0 {
		where, args = " WHERE id = ?", []any{id}
	}
	rows, err := q.query(ctx, `SELECT id, name, position, version FROM shipping_zones`+where+` ORDER BY position, name`, args...)
	if err != nil {
		return nil, err
	}
	var out []pricing.Zone
	index := map[int64]int{}
	err = EachRow(rows, func() error {
		var z pricing.Zone
		if err := rows.Scan(&z.ID, &z.Name, &z.Position, &z.Version); err != nil {
			return err
		}
		z.Countries = zc[z.ID]
		if z.Countries == nil {
			z.Countries = []string{}
		}
		z.Methods = []pricing.ShippingMethod{}
		index[z.ID] = len(out)
		out = append(out, z)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	mwhere := ""
	if id != 0 {
		mwhere = " WHERE m.zone_id = ?"
	}
	mrows, err := q.query(ctx, `SELECT `+shipCols+` FROM shipping_methods m`+mwhere+` ORDER BY m.position, m.code`, args...)
	if err != nil {
		return nil, err
	}
	ms, err := scanMethods(mrows, func(m pricing.ShippingMethod) string { return first(zc[m.ZoneID]) })
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if i, ok := index[m.ZoneID]; ok {
			out[i].Methods = append(out[i].Methods, m)
		}
	}
	return out, nil
}

func (s *CommerceStore) CreateZone(ctx context.Context, z *pricing.Zone, a pricing.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return s.insertZone(ctx, tx, z, a) })
}

func (s *CommerceStore) insertZone(ctx context.Context, tx *Tx, z *pricing.Zone, a pricing.Actor) error {
	id, err := tx.insertID(ctx, `INSERT INTO shipping_zones (name, position) VALUES (?, ?)`, z.Name, z.Position)
	if s.db.IsUnique(err) {
		return zoneNameTaken(z.Name)
	}
	if err != nil {
		return err
	}
	z.ID, z.Version = id, 1
	if err := s.putCountries(ctx, tx, id, z.Countries); err != nil {
		return err
	}
	if z.Methods == nil {
		z.Methods = []pricing.ShippingMethod{}
	}
	return s.audit(ctx, tx, a, "zone", strconv.FormatInt(id, 10), "create", 1, nil, zoneSnapshot(z))
}

func zoneNameTaken(name string) error {
	return &ocean.Error{Code: ocean.ECONFLICT, Message: fmt.Sprintf("Another shipping zone is called %s.", name),
		Fields: []ocean.FieldError{{Field: "name", Message: "is taken by another zone"}}}
}

// putCountries replaces a zone's countries; a country another zone lists
// is ECONFLICT naming it.
func (s *CommerceStore) putCountries(ctx context.Context, tx *Tx, id int64, countries []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM shipping_zone_countries WHERE zone_id = ?`, id); err != nil {
		return err
	}
	for _, c := range countries {
		var other string
		err := tx.queryRow(ctx, `SELECT z.name FROM shipping_zone_countries c JOIN shipping_zones z ON z.id = c.zone_id WHERE c.country = ?`, c).Scan(&other)
		if err == nil {
			what := c
			if c == pricing.RestOfWorld {
				what = "The rest of the world (*)"
			}
			return &ocean.Error{Code: ocean.ECONFLICT, Message: fmt.Sprintf("%s is already in the zone %s; a country can be in one zone only.", what, other),
				Fields: []ocean.FieldError{{Field: "countries", Message: c + " is in the zone " + other}}}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO shipping_zone_countries (country, zone_id) VALUES (?, ?)`, c, id); err != nil {
			if s.db.IsUnique(err) {
				return ocean.Errorf(ocean.ECONFLICT, "%s was just put in another zone; reload and try again.", c)
			}
			return err
		}
	}
	return nil
}

func (s *CommerceStore) UpdateZone(ctx context.Context, z pricing.Zone, a pricing.Actor) (*pricing.Zone, error) {
	var out *pricing.Zone
	err := s.db.InTx(ctx, func(tx *Tx) error {
		bs, err := s.zonesIn(ctx, tx, z.ID)
		if err != nil {
			return err
		}
		if len(bs) == 0 {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no shipping zone %d.", z.ID)
		}
		ok, err := changed(tx.exec(ctx, `UPDATE shipping_zones SET name = ?, position = ?, version = version + 1 WHERE id = ? AND version = ?`, z.Name, z.Position, z.ID, z.Version))
		if s.db.IsUnique(err) {
			return zoneNameTaken(z.Name)
		}
		if err != nil {
			return err
		}
		if !ok {
			return staleErr("shipping zone")
		}
		if err := s.putCountries(ctx, tx, z.ID, z.Countries); err != nil {
			return err
		}
		as, err := s.zonesIn(ctx, tx, z.ID)
		if err != nil {
			return err
		}
		out = &as[0]
		return s.audit(ctx, tx, a, "zone", strconv.FormatInt(z.ID, 10), "update", out.Version, zoneSnapshot(&bs[0]), zoneSnapshot(out))
	})
	return out, err
}

func (s *CommerceStore) DeleteZone(ctx context.Context, id, version int64, a pricing.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		bs, err := s.zonesIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(bs) == 0 {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no shipping zone %d.", id)
		}
		// The methods and countries go with it; deleted here rather than
		// by the cascade so that SQLite without foreign keys agrees.
		if _, err := tx.exec(ctx, `DELETE FROM shipping_methods WHERE zone_id = ? AND EXISTS (SELECT 1 FROM shipping_zones WHERE id = ? AND version = ?)`, id, id, version); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM shipping_zone_countries WHERE zone_id = ? AND EXISTS (SELECT 1 FROM shipping_zones WHERE id = ? AND version = ?)`, id, id, version); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM zone_tax_rates WHERE zone_id = ? AND EXISTS (SELECT 1 FROM shipping_zones WHERE id = ? AND version = ?)`, id, id, version); err != nil {
			return err
		}
		ok, err := changed(tx.exec(ctx, `DELETE FROM shipping_zones WHERE id = ? AND version = ?`, id, version))
		if err != nil {
			return err
		}
		if !ok {
			return staleErr("shipping zone")
		}
		return s.audit(ctx, tx, a, "zone", strconv.FormatInt(id, 10), "delete", version, zoneSnapshot(&bs[0]), nil)
	})
}

// zoneSnapshot is a zone as the audit log keeps it: its own fields and its
// methods' codes.
func zoneSnapshot(z *pricing.Zone) any {
	codes := make([]string, len(z.Methods))
	for i, m := range z.Methods {
		codes[i] = m.Code
	}
	return map[string]any{"name": z.Name, "countries": z.Countries, "position": z.Position, "version": z.Version, "methods": codes}
}

// audit writes one settings_audit row inside tx; before and after are
// JSON-encoded (nil: "").
func (s *CommerceStore) audit(ctx context.Context, tx *Tx, a pricing.Actor, entity, id, action string, version int64, before, after any) error {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	af, err := enc(after)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO settings_audit (created_at, actor_id, actor, entity, entity_id, action, version, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.db.timeArg(time.Now().UTC()), a.ID, a.Name, entity, id, action, version, b, af)
	return err
}

func (s *CommerceStore) SettingsAudit(ctx context.Context, limit int) ([]pricing.AuditEntry, error) {
	if limit < 1 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.query(ctx, `SELECT id, created_at, actor_id, actor, entity, entity_id, action, version, before, after FROM settings_audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	out := []pricing.AuditEntry{}
	err = EachRow(rows, func() error {
		var e pricing.AuditEntry
		var at timeValue
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Entity, &e.EntityID, &e.Action, &e.Version, &e.Before, &e.After); err != nil {
			return err
		}
		e.At = at.t
		out = append(out, e)
		return nil
	})
	return out, err
}

// taxKey is where a rate is stored: the table, its key column and value,
// and the audit log's entity id ("ZA", "zone:3").
func taxKey(r pricing.TaxRate) (table, col string, key any, id string) {
	if r.ZoneID != 0 {
		return "zone_tax_rates", "zone_id", r.ZoneID, "zone:" + strconv.FormatInt(r.ZoneID, 10)
	}
	return "tax_rates", "country", r.Country, r.Country
}

// taxRateIn reads the stored rate r names (nil when there is none).
func (s *CommerceStore) taxRateIn(ctx context.Context, tx *Tx, r pricing.TaxRate) (*pricing.TaxRate, error) {
	table, col, key, _ := taxKey(r)
	b := pricing.TaxRate{Country: r.Country, ZoneID: r.ZoneID}
	err := tx.queryRow(ctx, `SELECT name, rate_bp, version FROM `+table+` WHERE `+col+` = ?`, key).Scan(&b.Name, &b.RateBP, &b.Version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &b, nil
}

func (s *CommerceStore) PutTaxRate(ctx context.Context, r pricing.TaxRate, a pricing.Actor) (*pricing.TaxRate, error) {
	var out *pricing.TaxRate
	err := s.db.InTx(ctx, func(tx *Tx) error {
		table, col, key, id := taxKey(r)
		if r.ZoneID != 0 {
			var zone string
			err := tx.queryRow(ctx, `SELECT name FROM shipping_zones WHERE id = ?`, r.ZoneID).Scan(&zone)
			if errors.Is(err, sql.ErrNoRows) {
				return ocean.Errorf(ocean.ENOTFOUND, "There is no shipping zone %d.", r.ZoneID)
			}
			if err != nil {
				return err
			}
			r.Zone = zone
		}
		before, err := s.taxRateIn(ctx, tx, r)
		if err != nil {
			return err
		}
		if r.Version != 0 && (before == nil || before.Version != r.Version) {
			return staleErr("tax rate")
		}
		action := "create"
		if before == nil {
			// A concurrent create of the same key fails the primary key:
			// ESTALE, as for any write that lost a race.
			if _, err := tx.exec(ctx, `INSERT INTO `+table+` (`+col+`, name, rate_bp, version) VALUES (?, ?, ?, 1)`, key, r.Name, r.RateBP); err != nil {
				if s.db.IsUnique(err) {
					return staleErr("tax rate")
				}
				return err
			}
			r.Version = 1
		} else {
			action = "update"
			ok, err := changed(tx.exec(ctx, `UPDATE `+table+` SET name = ?, rate_bp = ?, version = version + 1 WHERE `+col+` = ? AND version = ?`, r.Name, r.RateBP, key, before.Version))
			if err != nil {
				return err
			}
			if !ok {
				return staleErr("tax rate")
			}
			r.Version = before.Version + 1
		}
		out = &r
		var b any
		if before != nil {
			b = taxSnapshot(*before)
		}
		return s.audit(ctx, tx, a, "tax_rate", id, action, r.Version, b, taxSnapshot(r))
	})
	return out, err
}

func (s *CommerceStore) DeleteTaxRate(ctx context.Context, r pricing.TaxRate, a pricing.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		table, col, key, id := taxKey(r)
		before, err := s.taxRateIn(ctx, tx, r)
		if err != nil {
			return err
		}
		if before == nil {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no tax rate for %s.", id)
		}
		if r.Version != 0 && before.Version != r.Version {
			return staleErr("tax rate")
		}
		ok, err := changed(tx.exec(ctx, `DELETE FROM `+table+` WHERE `+col+` = ? AND version = ?`, key, before.Version))
		if err != nil {
			return err
		}
		if !ok {
			return staleErr("tax rate")
		}
		return s.audit(ctx, tx, a, "tax_rate", id, "delete", before.Version, taxSnapshot(*before), nil)
	})
}

// taxSnapshot is a rate as the audit log keeps it.
func taxSnapshot(r pricing.TaxRate) any {
	m := map[string]any{"name": r.Name, "rate_bp": r.RateBP, "version": r.Version}
	if r.ZoneID != 0 {
		m["zone_id"] = r.ZoneID
	} else {
		m["country"] = r.Country
	}
	return m
}
