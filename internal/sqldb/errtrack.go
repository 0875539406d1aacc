package sqldb

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/rum"
)

// ErrorStore implements errtrack.Store.
type ErrorStore struct{ db *DB }

// Errors returns the error tracker's store.
func (db *DB) Errors() *ErrorStore { return &ErrorStore{db: db} }

var _ errtrack.Store = (*ErrorStore)(nil)

func (s *ErrorStore) Record(ctx context.Context, events []errtrack.Event, samples int) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, e := range events {
			at := e.At.UnixMilli()
			var id int64
			err := tx.queryRow(ctx, `INSERT INTO error_groups (fingerprint, kind, title, culprit, status, first_seen, last_seen, seen_count, release_version)
				VALUES (?, ?, ?, ?, 'open', ?, ?, 1, ?)
				ON CONFLICT (fingerprint) DO UPDATE SET
					seen_count = error_groups.seen_count + 1,
					last_seen = CASE WHEN excluded.last_seen > error_groups.last_seen THEN excluded.last_seen ELSE error_groups.last_seen END,
					first_seen = CASE WHEN excluded.first_seen < error_groups.first_seen THEN excluded.first_seen ELSE error_groups.first_seen END,
					title = excluded.title, culprit = excluded.culprit, release_version = excluded.release_version,
					status = CASE WHEN error_groups.status = 'resolved' THEN 'open' ELSE error_groups.status END
				RETURNING id`,
				e.Fingerprint, string(e.Kind), e.Title, e.Culprit, at, at, e.Release).Scan(&id)
			if err != nil {
				return err
			}
			req, err := json.Marshal(e.Request)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO error_events (group_id, at, route, method, status, trace_id, request_id, release_version, message, stack, request)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, at, e.Route, e.Method, e.Status, e.TraceID, e.RequestID, e.Release, e.Message, e.Stack, string(req)); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM error_events WHERE group_id = ? AND id NOT IN
				(SELECT id FROM error_events WHERE group_id = ? ORDER BY id DESC LIMIT ?)`, id, id, samples); err != nil {
				return err
			}
		}
		return nil
	})
}

const groupColumns = `id, fingerprint, kind, title, culprit, status, first_seen, last_seen, seen_count, release_version`

func scanGroup(scan func(...any) error) (errtrack.Group, error) {
	var g errtrack.Group
	var kind, status string
	var first, last int64
	err := scan(&g.ID, &g.Fingerprint, &kind, &g.Title, &g.Culprit, &status, &first, &last, &g.Count, &g.Release)
	g.Kind, g.Status = errtrack.Kind(kind), errtrack.Status(status)
	g.FirstSeen, g.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	return g, err
}

func (s *ErrorStore) Groups(ctx context.Context, f errtrack.Filter) ([]errtrack.Group, error) {
	seen, id := int64(math.MaxInt64), int64(math.MaxInt64)
	if !f.BeforeSeen.IsZero() {
		seen, id = f.BeforeSeen.UnixMilli(), f.BeforeID
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	q := `SELECT ` + groupColumns + ` FROM error_groups
		WHERE (? = '' OR status = ?) AND (last_seen < ? OR (last_seen = ? AND id < ?))
		ORDER BY last_seen DESC, id DESC LIMIT ?`
	rows, err := s.db.query(ctx, q, string(f.Status), string(f.Status), seen, seen, id, f.Limit) //nolint:sqlclosecheck // EachRow closes it
	if err != nil {
		return nil, err
	}
	var out []errtrack.Group
	err = EachRow(rows, func() error {
		g, err := scanGroup(rows.Scan)
		out = append(out, g)
		return err
	})
	return out, err
}

func (s *ErrorStore) Group(ctx context.Context, id int64) (errtrack.Group, []errtrack.Event, error) {
	g, err := scanGroup(s.db.queryRow(ctx, `SELECT `+groupColumns+` FROM error_groups WHERE id = ?`, id).Scan)
	if isNoRows(err) {
		return g, nil, ocean.Errorf(ocean.ENOTFOUND, "There is no error group %d.", id)
	}
	if err != nil {
		return g, nil, err
	}
	rows, err := s.db.query(ctx, `SELECT at, route, method, status, trace_id, request_id, release_version, message, stack, request
		FROM error_events WHERE group_id = ? ORDER BY id DESC`, id)
	if err != nil {
		return g, nil, err
	}
	var events []errtrack.Event
	err = EachRow(rows, func() error {
		e := errtrack.Event{Kind: g.Kind, Fingerprint: g.Fingerprint, Title: g.Title, Culprit: g.Culprit}
		var at int64
		var req string
		if err := rows.Scan(&at, &e.Route, &e.Method, &e.Status, &e.TraceID, &e.RequestID, &e.Release, &e.Message, &e.Stack, &req); err != nil {
			return err
		}
		e.At = time.UnixMilli(at).UTC()
		events = append(events, e)
		return json.Unmarshal([]byte(req), &events[len(events)-1].Request)
	})
	return g, events, err
}

func (s *ErrorStore) SetStatus(ctx context.Context, id int64, st errtrack.Status) error {
	if !errtrack.ValidStatus(st) {
		return ocean.Invalid("Choose open, resolved or ignored.", ocean.FieldError{Field: "status", Message: "unknown status"})
	}
	return s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE error_groups SET status = ? WHERE id = ?`, string(st), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no error group %d.", id)
		}
		return nil
	})
}

func (s *ErrorStore) Prune(ctx context.Context, before time.Time, keep int) (int, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM error_groups WHERE last_seen < ?`, before.UnixMilli())
		if err != nil {
			return err
		}
		a, _ := res.RowsAffected()
		res, err = tx.exec(ctx, `DELETE FROM error_groups WHERE id NOT IN
			(SELECT id FROM error_groups ORDER BY last_seen DESC, id DESC LIMIT ?)`, keep)
		if err != nil {
			return err
		}
		b, _ := res.RowsAffected()
		n = a + b
		return nil
	})
	return int(n), err
}

// VitalsStore implements rum.Store.
type VitalsStore struct{ db *DB }

// Vitals returns the real-user monitoring store.
func (db *DB) Vitals() *VitalsStore { return &VitalsStore{db: db} }

var _ rum.Store = (*VitalsStore)(nil)

func (s *VitalsStore) Add(ctx context.Context, day int, counts []rum.Count) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, c := range counts {
			if c.N <= 0 {
				continue
			}
			if _, err := tx.exec(ctx, `INSERT INTO web_vitals (day, metric, template, bucket, n) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (day, metric, template, bucket) DO UPDATE SET n = web_vitals.n + excluded.n`,
				day, c.Metric, c.Template, c.Bucket, c.N); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *VitalsStore) Counts(ctx context.Context, from, to int) ([]rum.Count, error) {
	rows, err := s.db.query(ctx, `SELECT metric, template, bucket, SUM(n) FROM web_vitals WHERE day >= ? AND day <= ?
		GROUP BY metric, template, bucket ORDER BY metric, template, bucket`, from, to)
	if err != nil {
		return nil, err
	}
	var out []rum.Count
	err = EachRow(rows, func() error {
		var c rum.Count
		err := rows.Scan(&c.Metric, &c.Template, &c.Bucket, &c.N)
		out = append(out, c)
		return err
	})
	return out, err
}

func (s *VitalsStore) Prune(ctx context.Context, before int) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM web_vitals WHERE day < ?`, before)
		return err
	})
}
