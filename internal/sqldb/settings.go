package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Settings reads the shop's one settings row (migration 0012 seeds it).
func (s *CommerceStore) Settings(ctx context.Context) (*pricing.Settings, error) {
	return readSettings(s.db.queryRow(ctx, `SELECT shop_name, contact_email, currency, countries, prices_include_tax, version FROM shop_settings WHERE id = 1`))
}

func readSettings(row *sql.Row) (*pricing.Settings, error) {
	var st pricing.Settings
	var countries string
	var incl int64
	err := row.Scan(&st.ShopName, &st.ContactEmail, &st.Currency, &countries, &incl, &st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "The shop has no settings row; run the migrations.")
	}
	if err != nil {
		return nil, err
	}
	st.Countries = []string{}
	if countries != "" {
		st.Countries = strings.Split(countries, ",")
	}
	st.PricesIncludeTax = incl == 1
	return &st, nil
}

// UpdateSettings writes st when the stored version is st.Version: one
// conditional UPDATE, so of two writers holding the same version exactly
// one wins and the other gets ESTALE with nothing written.
func (s *CommerceStore) UpdateSettings(ctx context.Context, st pricing.Settings, a pricing.Actor) (*pricing.Settings, error) {
	incl := 0
	if st.PricesIncludeTax {
		incl = 1
	}
	var out *pricing.Settings
	err := s.db.InTx(ctx, func(tx *Tx) error {
		before, err := readSettings(tx.queryRow(ctx, `SELECT shop_name, contact_email, currency, countries, prices_include_tax, version FROM shop_settings WHERE id = 1`))
		if err != nil {
			return err
		}
		if st.Currency != before.Currency {
			// Prices are never converted: the currency changes only while
			// nothing is priced in another one.
			var variants, methods int
			if err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM variants WHERE currency <> ?), (SELECT COUNT(*) FROM shipping_methods WHERE currency <> ?)`, st.Currency, st.Currency).Scan(&variants, &methods); err != nil {
				return err
			}
			if variants+methods > 0 {
				return &ocean.Error{Code: ocean.EUNPROCESSABLE,
					Message: fmt.Sprintf("%d variants and %d shipping methods are priced in %s; prices are not converted, so the currency can change only while nothing is priced in another one.", variants, methods, before.Currency),
					Fields:  []ocean.FieldError{{Field: "currency", Message: "cannot change while the catalog or shipping methods are priced in " + before.Currency}}}
			}
		}
		out, err = readSettings(tx.queryRow(ctx, `UPDATE shop_settings SET shop_name = ?, contact_email = ?, currency = ?, countries = ?, prices_include_tax = ?, version = version + 1
WHERE id = 1 AND version = ? RETURNING shop_name, contact_email, currency, countries, prices_include_tax, version`,
			st.ShopName, st.ContactEmail, st.Currency, strings.Join(st.Countries, ","), incl, st.Version))
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return staleErr("shop's settings")
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "settings", "1", "update", out.Version, before, out)
	})
	if err != nil {
		return nil, err
	}
	return out, err
}

// TaxRates lists every country's own rate, by country.
func (s *CommerceStore) TaxRates(ctx context.Context) ([]pricing.TaxRate, error) {
	rows, err := s.db.query(ctx, `SELECT country, name, rate_bp, version FROM tax_rates ORDER BY country`)
	if err != nil {
		return nil, err
	}
	out := []pricing.TaxRate{}
	err = EachRow(rows, func() error {
		var r pricing.TaxRate
		if err := rows.Scan(&r.Country, &r.Name, &r.RateBP, &r.Version); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// ZoneTaxRates lists the zones' rates in the zones' order.
func (s *CommerceStore) ZoneTaxRates(ctx context.Context) ([]pricing.TaxRate, error) {
	rows, err := s.db.query(ctx, `SELECT t.zone_id, z.name, t.name, t.rate_bp, t.version FROM zone_tax_rates t JOIN shipping_zones z ON z.id = t.zone_id ORDER BY z.position, z.name`)
	if err != nil {
		return nil, err
	}
	out := []pricing.TaxRate{}
	err = EachRow(rows, func() error {
		var r pricing.TaxRate
		if err := rows.Scan(&r.ZoneID, &r.Zone, &r.Name, &r.RateBP, &r.Version); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
