package cli

import (
	"context"
	"errors"
	"io"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/seed"
)

// seedCmd adds the demo catalog and discount codes to an up-to-date,
// empty database; with --scale N, a generated catalog and order history
// of N products and N orders (package seed).
func seedCmd(ctx context.Context, cfg config.Config, f seed.Flags, out io.Writer) (err error) {
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if f.Scale > 0 {
		return f.Run(ctx, db, out)
	}
	return demo.SeedCommand(ctx, catalog.NewService(db.Catalog(), nil), db.Commerce(), out)
}
