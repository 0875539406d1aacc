package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/sqldb"
)

// Flags are `ocean seed`'s own flags, taken out of the arguments before
// the settings are parsed: --scale N (generate N products and N orders
// instead of the demo catalog) and --force (seed beside what the shop
// has).
type Flags struct {
	Scale int
	Force bool
}

// ParseFlags takes --scale and --force out of args and returns the rest.
func ParseFlags(args []string) (Flags, []string, error) {
	var f Flags
	var rest []string
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case strings.HasPrefix(a, "-") && name == "force" && !hasVal:
			f.Force = true
		case strings.HasPrefix(a, "-") && name == "scale":
			if !hasVal {
				if len(args) == 0 {
					return f, nil, errors.New("--scale needs a number of products and orders, e.g. --scale 1000000")
				}
				val, args = args[0], args[1:]
			}
			n, err := strconv.Atoi(strings.ReplaceAll(val, "_", ""))
			if err != nil || n < 1 || n > 100_000_000 {
				return f, nil, fmt.Errorf("--scale %q must be a whole number from 1 to 100000000", val)
			}
			f.Scale = n
		default:
			rest = append(rest, a)
		}
	}
	if f.Force && f.Scale == 0 {
		return f, nil, errors.New("--force only goes with --scale")
	}
	return f, rest, nil
}

// Summary is what `ocean seed --scale` prints when it is done.
func (r *Report) Summary() string {
	return fmt.Sprintf("seeded at scale: %d products (%d variants) in %s; %d customers, %d orders (%d lines) in %s; statistics in %s\n",
		r.Products, r.Variants, r.CatalogTime.Round(1e6), r.Customers, r.Orders, r.Lines, r.OrdersTime.Round(1e6), r.AnalyzeTime.Round(1e6)) +
		fmt.Sprintf("customers sign in as shopperN@scale.example with the password %s\n", Password)
}

// Run seeds db at the scale f asks for (f.Scale products and orders),
// telling out how far it is and, at the end, the Summary.
func (f Flags) Run(ctx context.Context, db *sqldb.DB, out io.Writer) error {
	r, err := Scale(ctx, db, Options{Products: f.Scale, Orders: f.Scale, Force: f.Force, Progress: out})
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, r.Summary())
	return err
}
