package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/seed"
)

// seedFlags are the seed command's own flags, taken out of the arguments
// before the settings are parsed: --scale N (generate N products and N
// orders instead of the demo catalog) and --force (seed beside what the
// shop has).
type seedFlags struct {
	scale int
	force bool
}

func parseSeedFlags(args []string) (seedFlags, []string, error) {
	var f seedFlags
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case strings.HasPrefix(a, "-") && name == "force" && !hasVal:
			f.force = true
		case strings.HasPrefix(a, "-") && name == "scale":
			if !hasVal {
				if i+1 == len(args) {
					return f, nil, errors.New("--scale needs a number of products and orders, e.g. --scale 1000000")
				}
				i++
				val = args[i]
			}
			n, err := strconv.Atoi(strings.ReplaceAll(val, "_", ""))
			if err != nil || n < 1 || n > 100_000_000 {
				return f, nil, fmt.Errorf("--scale %q must be a whole number from 1 to 100000000", val)
			}
			f.scale = n
		default:
			rest = append(rest, a)
		}
	}
	if f.force && f.scale == 0 {
		return f, nil, errors.New("--force only goes with --scale")
	}
	return f, rest, nil
}

// seedCmd adds the demo catalog and discount codes to an up-to-date,
// empty database; with --scale N, a generated catalog and order history
// of N products and N orders (package seed).
func seedCmd(ctx context.Context, cfg config.Config, f seedFlags, out io.Writer) (err error) {
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if f.scale > 0 {
		r, err := seed.Scale(ctx, db, seed.Options{Products: f.scale, Orders: f.scale, Force: f.force, Progress: out})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "seeded at scale: %d products (%d variants) in %s; %d customers, %d orders (%d lines) in %s; statistics in %s\n",
			r.Products, r.Variants, r.CatalogTime.Round(1e6), r.Customers, r.Orders, r.Lines, r.OrdersTime.Round(1e6), r.AnalyzeTime.Round(1e6))
		fmt.Fprintf(out, "customers sign in as shopperN@scale.example with the password %s\n", seed.Password)
		return nil
	}
	n, err := demo.Seed(ctx, catalog.NewService(db.Catalog(), nil))
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(out, "the catalog already has products; nothing seeded")
		return nil
	}
	if err := demo.SeedDiscounts(ctx, db.Commerce()); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded the demo catalog: %d products\n", n)
	return nil
}
