package cli

import (
	"errors"
	"io"
	"time"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/upgrade"
)

// upgradeCmd is `ocean upgrade [WAIT]` (internal/upgrade.Request).
func upgradeCmd(cfg config.Config, args []string, out io.Writer) error {
	wait := upgrade.Timeout + 10*time.Second
	if len(args) > 1 {
		return errors.New("usage: ocean upgrade [WAIT] (how long to wait for the new process, default 2m10s)")
	}
	if len(args) == 1 {
		d, err := time.ParseDuration(args[0])
		if err != nil || d <= 0 {
			return errors.New("usage: ocean upgrade [WAIT] (a duration like 90s)")
		}
		wait = d
	}
	return upgrade.Request(cfg.PIDFile, wait, out)
}
