package sqldb

import (
	"context"
	"database/sql"
	"errors"
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
func (s *CommerceStore) UpdateSettings(ctx context.Context, st pricing.Settings) (*pricing.Settings, error) {
	incl := 0
	if st.PricesIncludeTax {
		incl = 1
	}
	var out *pricing.Settings
	err := s.db.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = readSettings(tx.queryRow(ctx, `UPDATE shop_settings SET shop_name = ?, contact_email = ?, currency = ?, countries = ?, prices_include_tax = ?, version = version + 1
WHERE id = 1 AND version = ? RETURNING shop_name, contact_email, currency, countries, prices_include_tax, version`,
			st.ShopName, st.ContactEmail, st.Currency, strings.Join(st.Countries, ","), incl, st.Version))
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return staleErr("shop's settings")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, err
}

// TaxRates lists every country's rate, by country.
func (s *CommerceStore) TaxRates(ctx context.Context) ([]pricing.TaxRate, error) {
	rows, err := s.db.query(ctx, `SELECT country, name, rate_bp FROM tax_rates ORDER BY country`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pricing.TaxRate{}
	for rows.Next() {
		var r pricing.TaxRate
		if err := rows.Scan(&r.Country, &r.Name, &r.RateBP); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
