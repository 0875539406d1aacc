package cli

import (
	"io"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/tlsca"
	"github.com/oceanshop/ocean/internal/tlsx"
)

// trustCmd is `ocean trust` and `ocean untrust`: the local CA in or out of
// this machine's trust stores.
func trustCmd(cfg config.Config, add bool, stdout io.Writer) error {
	return tlsca.TrustLocal(cfg.DataDir, add, stdout, tlsx.PublicHost(cfg.PublicURL)...)
}
