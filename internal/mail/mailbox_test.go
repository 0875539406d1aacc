package mail_test

import (
	"context"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/mail/mailtest"
	"github.com/oceanshop/ocean/internal/ocean"
)

func TestMemStoreContract(t *testing.T) {
	mailtest.Store(t, func(*testing.T) mail.Store { return new(mail.MemStore) })
}

func TestMailboxSavesAndListsNewestFirst(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	box := mail.NewMailbox(new(mail.MemStore), func() time.Time { return now })
	var _ mail.Mailer = box

	for _, subj := range []string{"Welcome", "Reset your password", "Your order"} {
		if err := box.Send(ctx, mail.Message{To: "ann@example.com", Subject: subj, Text: "Hello Åsa"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		now = now.Add(time.Second)
	}
	got, err := box.List(ctx, 2)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != 2 || got[0].Subject != "Your order" || got[1].Subject != "Reset your password" {
		t.Fatalf("List(2) = %+v, want the two newest", got)
	}
	m := got[0]
	if m.To != "ann@example.com" || m.Text != "Hello Åsa" {
		t.Errorf("saved %+v", m)
	}
	if want := time.Date(2026, 3, 1, 11, 0, 2, 0, time.UTC); !m.SentAt.Equal(want) || m.SentAt.Location() != time.UTC {
		t.Errorf("SentAt = %v, want %v in UTC", m.SentAt, want)
	}
}

func TestMailboxRejectsHeaderInjection(t *testing.T) {
	store := new(mail.MemStore)
	box := mail.NewMailbox(store, nil)
	for _, m := range []mail.Message{
		{To: "ann@example.com\r\nBcc: eve@example.com", Subject: "Hi"},
		{To: "ann@example.com", Subject: "Hi\nBcc: eve@example.com"},
	} {
		if err := box.Send(context.Background(), m); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("Send(%q, %q) = %v, want %s", m.To, m.Subject, err, ocean.EINVALID)
		}
	}
	if got, _ := store.ListMail(context.Background(), 10); len(got) != 0 {
		t.Fatalf("rejected messages were saved: %+v", got)
	}
}

// A long-running shop with the in-memory fallback must not grow without
// bound; it keeps the newest messages.
func TestMemStoreIsBounded(t *testing.T) {
	ctx := context.Background()
	var s mail.MemStore
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range mail.MemStoreMax + 50 {
		s.SaveMail(ctx, mail.Stored{To: "a@example.com", SentAt: t0.Add(time.Duration(i) * time.Second)})
	}
	got, err := s.ListMail(ctx, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != mail.MemStoreMax {
		t.Fatalf("store holds %d messages, bound is %d", len(got), mail.MemStoreMax)
	}
	if want := t0.Add(time.Duration(mail.MemStoreMax+49) * time.Second); !got[0].SentAt.Equal(want) {
		t.Fatalf("newest kept message is from %v, want %v", got[0].SentAt, want)
	}
}
