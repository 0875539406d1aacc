package cli_test

import (
	"strings"
	"testing"
)

// TestInventoryVerify: `ocean inventory verify` passes on a seeded shop and
// names the variant, its stock and its ledger sum when they drift apart
// (here: a stock level changed behind the ledger's back), exiting 1.
func TestInventoryVerify(t *testing.T) {
	t.Parallel()
	s := newAPIShop(t, map[string]string{"OCEAN_SEED_DEMO": "true"})
	env := map[string]string{"OCEAN_DATA_DIR": s.dir}
	code, out, errOut := run(t, env, "inventory", "verify")
	if code != 0 || !strings.Contains(out, "every stock level equals the sum of its ledger") {
		t.Fatalf("a fresh shop: exit %d\n%s%s", code, out, errOut)
	}
	var id int64
	var sku string
	if err := s.app.DB.Read.QueryRow(`SELECT id, sku FROM variants WHERE stock > 0 ORDER BY id LIMIT 1`).Scan(&id, &sku); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB.Write.Exec(`UPDATE variants SET stock = stock + 7 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, env, "inventory", "verify")
	if code != 1 || !strings.Contains(out, sku) || !strings.Contains(out, "(+7)") || !strings.Contains(errOut, "1 of") {
		t.Fatalf("after a change behind the ledger: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, env, "inventory", "count"); code == 0 || !strings.Contains(errOut, "usage: ocean inventory verify") {
		t.Fatalf("unknown subcommand: %d %s", code, errOut)
	}
}
