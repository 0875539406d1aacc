package cli

import (
	"errors"
	"io"

	"github.com/oceanshop/ocean/internal/config"
)

// configCmd is `ocean config check` (config.Config.Check): the settings
// were already loaded and validated; a bad value exits 2 before this runs.
func configCmd(cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "check" {
		return errors.New("usage: ocean config check | ocean config docs")
	}
	cfg.Check(out)
	return nil
}
