// Package cli is the ocean command: one file per subcommand. Run is main
// without the process: tests call it with their own context, arguments,
// environment and output.
package cli

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/probe"
	"github.com/oceanshop/ocean/internal/seed"
)

// Version is set at build time with -ldflags "-X github.com/oceanshop/ocean/internal/cli.Version=…".
var Version = "dev"

// Run executes the command in args (without the program name) and returns
// the process exit code: 0 success, 1 failure, 2 usage error.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		help(stdout)
		return 0
	case "version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "probe":
		return probe.Command(ctx, args, "ocean-probe/"+Version, stdout, stderr)
	case "config":
		if len(args) == 1 && args[0] == "docs" {
			fmt.Fprint(stdout, config.Reference())
			return 0
		}
	}
	var sf seed.Flags
	if cmd == "seed" {
		var err error
		if sf, args, err = seed.ParseFlags(args); err != nil {
			fmt.Fprintln(stderr, "ocean:", err)
			return 2
		}
	}
	cfg, rest, err := config.Load(args, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "ocean:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log)
	case "migrate":
		err = migrateCmd(ctx, cfg, rest, stdout)
	case "seed":
		err = seedCmd(ctx, cfg, sf, stdout)
	case "users":
		err = usersCmd(ctx, cfg, rest, os.Stdin, stdout, log)
	case "keys":
		err = keysCmd(ctx, cfg, rest, stdout, log)
	case "inventory":
		err = inventoryCmd(ctx, cfg, rest, stdout)
	case "mcp":
		err = mcpCmd(ctx, cfg, log)
	case "config":
		err = configCmd(cfg, rest, stdout)
	case "upgrade":
		err = upgradeCmd(cfg, rest, stdout)
	case "trust", "untrust":
		err = trustCmd(cfg, cmd == "trust", stdout)
	case "backup":
		err = backupCmd(ctx, cfg, rest, stdout)
	case "restore":
		err = restoreCmd(ctx, cfg, rest, stdout)
	default:
		fmt.Fprintf(stderr, "ocean: unknown command %q (see `ocean help`)\n", cmd)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "ocean:", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// helpText is the usage of `ocean help` above the settings.
//
//go:embed help.txt
var helpText string

func help(w io.Writer) {
	fmt.Fprint(w, helpText)
	config.Usage(w)
}
