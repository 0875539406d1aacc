// Package mailtest holds the contract every mail.Store implementation must
// pass.
package mailtest

import (
	"context"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Store runs the mail.Store contract. newStore must return an empty store.
func Store(t *testing.T, newStore func(t *testing.T) mail.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	t.Run("ListsNewestFirst", func(t *testing.T) {
		s := newStore(t)
		save := []mail.Stored{
			{ID: 99, To: "a@example.com", Subject: "first", Text: "1", SentAt: t0},
			{To: "b@example.com", Subject: "third", Text: "3", SentAt: t0.Add(2 * time.Minute)},
			{To: "c@example.com", Subject: "second", Text: "2", SentAt: t0.Add(time.Minute)},
			{To: "d@example.com", Subject: "third, saved later", Text: "4", SentAt: t0.Add(2 * time.Minute)},
		}
		for _, m := range save {
			if err := s.SaveMail(ctx, m); err != nil {
				t.Fatalf("SaveMail: %v", err)
			}
		}
		got, err := s.ListMail(ctx, 10)
		if err != nil {
			t.Fatalf("ListMail: %v", err)
		}
		want := []string{"third, saved later", "third", "second", "first"}
		if len(got) != len(want) {
			t.Fatalf("ListMail returned %d messages, want %d", len(got), len(want))
		}
		seen := map[int64]bool{}
		for i, m := range got {
			if m.Subject != want[i] {
				t.Errorf("message %d is %q, want %q", i, m.Subject, want[i])
			}
			if m.ID <= 0 || seen[m.ID] {
				t.Errorf("message %q has ID %d; want a new positive ID", m.Subject, m.ID)
			}
			seen[m.ID] = true
		}
		if got[0].ID <= got[1].ID {
			t.Errorf("the later saved of two equal times has ID %d, the earlier %d", got[0].ID, got[1].ID)
		}
		two, err := s.ListMail(ctx, 2)
		if err != nil {
			t.Fatalf("ListMail(2): %v", err)
		}
		if len(two) != 2 || two[0].Subject != want[0] || two[1].Subject != want[1] {
			t.Errorf("ListMail(2) = %+v, want the two newest", two)
		}
	})

	t.Run("KeepsFields", func(t *testing.T) {
		s := newStore(t)
		in := mail.Stored{To: "Åsa <asa@example.com>", Subject: "Dein Passwort – ändern", Text: "Hallo Åsa,\r\n\nder Link: https://shop.example/r?t=x\n", SentAt: t0}
		if err := s.SaveMail(ctx, in); err != nil {
			t.Fatalf("SaveMail: %v", err)
		}
		got, err := s.ListMail(ctx, 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("ListMail = %v, %v", got, err)
		}
		m := got[0]
		if m.To != in.To || m.Subject != in.Subject || m.Text != in.Text || !m.SentAt.Equal(in.SentAt) {
			t.Errorf("stored %+v, got back %+v", in, m)
		}
	})

	t.Run("EmptyAndBadLimit", func(t *testing.T) {
		s := newStore(t)
		got, err := s.ListMail(ctx, 5)
		if err != nil || len(got) != 0 {
			t.Fatalf("ListMail on an empty store = %v, %v; want nothing, nil", got, err)
		}
		if _, err := s.ListMail(ctx, 0); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Fatalf("ListMail(0) error = %v, want %s", err, ocean.EINVALID)
		}
	})
}
