package storetest

import (
	"testing"

	"github.com/oceanshop/ocean/internal/migrate"
)

// Migrations checks that every migration goes up, down and up again: each
// down step really undoes its up step.
func Migrations(t *testing.T, open func(t *testing.T) (migrate.Target, []migrate.Migration)) {
	db, ms := open(t)
	st, err := migrate.GetStatus(ctx, db, ms)
	if err != nil || st.Current != 0 || len(st.Pending) != len(ms) {
		t.Fatalf("fresh database status = %+v, %v", st, err)
	}
	if n, err := migrate.Up(ctx, db, ms); err != nil || n != len(ms) {
		t.Fatalf("up: %d, %v", n, err)
	}
	if n, err := migrate.Up(ctx, db, ms); err != nil || n != 0 {
		t.Fatalf("second up ran %d migrations, %v", n, err)
	}
	for i := len(ms); i > 0; i-- {
		v, err := migrate.Down(ctx, db, ms)
		if err != nil || v != i {
			t.Fatalf("down from %d: reverted %d, %v", i, v, err)
		}
	}
	if v, err := migrate.Down(ctx, db, ms); err != nil || v != 0 {
		t.Fatalf("down on empty: %d, %v", v, err)
	}
	if n, err := migrate.Up(ctx, db, ms); err != nil || n != len(ms) {
		t.Fatalf("up again after down: %d, %v", n, err)
	}
	st, err = migrate.GetStatus(ctx, db, ms)
	if err != nil || !st.UpToDate() || st.Current != len(ms) {
		t.Fatalf("final status = %+v, %v", st, err)
	}
}
