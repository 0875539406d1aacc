package migrate

import (
	"context"
	"fmt"
	"io"
)

// Command runs `ocean migrate up|down|status` (cmd) on t and reports on
// out. The caller holds the schema lock: every one of them reads the
// status, which creates the version table on a fresh database.
func Command(ctx context.Context, cmd string, t Target, ms []Migration, out io.Writer) error {
	switch cmd {
	case "up":
		n, err := Up(ctx, t, ms)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "applied %d migration(s); schema at version %d\n", n, len(ms))
	case "down":
		v, err := Down(ctx, t, ms)
		if err != nil {
			return err
		}
		if v == 0 {
			fmt.Fprintln(out, "nothing to revert: no migration is applied")
		} else {
			fmt.Fprintf(out, "reverted migration %04d_%s; schema at version %d\n", v, ms[v-1].Name, v-1)
		}
	case "status":
		st, err := GetStatus(ctx, t, ms)
		if err != nil {
			return err
		}
		for _, m := range ms {
			state := "applied"
			if m.Version > st.Current {
				state = "pending"
			}
			fmt.Fprintf(out, "%04d_%-24s %s\n", m.Version, m.Name, state)
		}
		fmt.Fprintf(out, "schema at version %d of %d\n", st.Current, st.Latest)
	default:
		return fmt.Errorf("unknown migrate command %q: use up, down or status", cmd)
	}
	return nil
}
