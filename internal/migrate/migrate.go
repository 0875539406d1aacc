// Package migrate reads numbered SQL migrations ("0001_name.up.sql" with a
// matching "0001_name.down.sql") from an fs.FS and applies them through a
// Target, which each database adapter implements transactionally.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema step with both directions.
type Migration struct {
	Version int
	Name    string
	Up      string
	Down    string
}

// Target is a database that can run migrations. Apply runs sql and records
// version as applied (up) or removes it (down) in one transaction.
type Target interface {
	Applied(ctx context.Context) (map[int]bool, error)
	Apply(ctx context.Context, m Migration, up bool) error
}

// Load reads and checks the migrations in dir: numbered from 1 without gaps,
// each with an up and a down file.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		name := e.Name()
		var up bool
		var base string
		switch {
		case strings.HasSuffix(name, ".up.sql"):
			up, base = true, strings.TrimSuffix(name, ".up.sql")
		case strings.HasSuffix(name, ".down.sql"):
			base = strings.TrimSuffix(name, ".down.sql")
		default:
			continue
		}
		num, label, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: label}
			byVersion[v] = m
		}
		if up {
			m.Up = string(b)
		} else {
			m.Down = string(b)
		}
	}
	var out []Migration
	for _, m := range byVersion {
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("migration %04d_%s needs both an up and a down file", m.Version, m.Name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1, 2, 3… without gaps; found %d at position %d", m.Version, i+1)
		}
	}
	return out, nil
}

// ErrNewerSchema is returned when the database has migrations this binary
// does not know: a newer release migrated it, and running an older binary on
// it could misread or corrupt the data.
var ErrNewerSchema = errors.New("the database schema is newer than this binary")

// Status describes where a database stands.
type Status struct {
	Current int // highest applied version, 0 for an empty database
	Latest  int // highest version this binary knows
	Pending []Migration
}

// UpToDate reports whether every migration is applied.
func (s Status) UpToDate() bool { return len(s.Pending) == 0 }

// GetStatus compares the applied migrations with the known ones.
func GetStatus(ctx context.Context, t Target, ms []Migration) (Status, error) {
	applied, err := t.Applied(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{}
	if len(ms) > 0 {
		st.Latest = ms[len(ms)-1].Version
	}
	for v := range applied {
		if v > st.Latest {
			return st, fmt.Errorf("%w: the database has migration %d but this binary only knows migrations up to %d; run the newer release, or roll the schema back with that release's `ocean migrate down` first", ErrNewerSchema, v, st.Latest)
		}
		if v > st.Current {
			st.Current = v
		}
	}
	for _, m := range ms {
		if !applied[m.Version] {
			st.Pending = append(st.Pending, m)
		}
	}
	return st, nil
}

// Up applies every pending migration in order and returns how many ran.
func Up(ctx context.Context, t Target, ms []Migration) (int, error) {
	st, err := GetStatus(ctx, t, ms)
	if err != nil {
		return 0, err
	}
	for i, m := range st.Pending {
		if err := t.Apply(ctx, m, true); err != nil {
			return i, fmt.Errorf("migration %04d_%s up: %w", m.Version, m.Name, err)
		}
	}
	return len(st.Pending), nil
}

// Down reverts the newest applied migration. It returns the version
// reverted, or 0 if nothing was applied.
func Down(ctx context.Context, t Target, ms []Migration) (int, error) {
	st, err := GetStatus(ctx, t, ms)
	if err != nil {
		return 0, err
	}
	if st.Current == 0 {
		return 0, nil
	}
	m := ms[st.Current-1]
	if err := t.Apply(ctx, m, false); err != nil {
		return 0, fmt.Errorf("migration %04d_%s down: %w", m.Version, m.Name, err)
	}
	return m.Version, nil
}
