package cli

import (
	"context"
	"log/slog"

	ocean "github.com/oceanshop/ocean"
	"github.com/oceanshop/ocean/internal/api"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/knowledge"
	"github.com/oceanshop/ocean/internal/mcp"
)

// newMCP builds the MCP server over the app's services, after adding the
// project's decision records to the knowledge graph (what is missing only;
// a failure is logged, the shop still starts).
func (a *App) newMCP(ctx context.Context, cfg config.Config, log *slog.Logger, token string, userID int64) (*mcp.Server, error) {
	k := knowledge.NewService(a.DB.Knowledge())
	if n, err := k.Seed(ctx, ocean.Docs); err != nil {
		log.Warn("knowledge graph: decision records not added", "err", err)
	} else {
		log.Debug("knowledge graph: decision records checked", "decisions", n)
	}
	return mcp.New(mcp.Config{Catalog: a.Catalog, Carts: a.Carts, Checkout: a.Checkout, Accounts: a.Accounts, Inventory: a.Inventory,
		Locker: a.Locker, Knowledge: k, DB: a.DB, Docs: ocean.Docs, OpenAPI: api.OpenAPI(), Version: Version, Log: log,
		Token: token, UserID: userID})
}

// mcpCmd runs `ocean mcp`: one assistant over stdin and stdout, with the
// settings and database `serve` uses. Operator tools act as OCEAN_MCP_USER
// or with OCEAN_MCP_TOKEN; without either, the shopper tools only.
func mcpCmd(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := app.Close(); err != nil {
			log.Warn("closing the database and Redis clients", "err", err)
		}
	}()
	var uid int64
	if cfg.MCPUser != "" {
		if uid, err = mcp.OperatorID(ctx, app.DB.Accounts(), cfg.MCPUser); err != nil {
			return err
		}
	}
	s, err := app.newMCP(ctx, cfg, log, cfg.MCPToken, uid)
	if err != nil {
		return err
	}
	defer func() {
		if err := s.Close(); err != nil {
			log.Warn("closing the MCP server", "err", err)
		}
	}()
	log.Info("MCP server on stdio", "operator", cfg.MCPUser != "" || cfg.MCPToken != "")
	return s.Run(ctx)
}
