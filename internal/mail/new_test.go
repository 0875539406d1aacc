package mail_test

import (
	"context"
	"testing"

	"github.com/oceanshop/ocean/internal/mail"
)

// TestNewWithoutSMTP: a shop with no mail server keeps its mail in the dev
// mailbox, where a message sent through SendFunc can be read.
func TestNewWithoutSMTP(t *testing.T) {
	ctx := context.Background()
	m, box, err := mail.New("", "shop@example.com", new(mail.MemStore))
	if err != nil || box == nil || m != mail.Mailer(box) {
		t.Fatalf("no SMTP: %v %v %v", m, box, err)
	}
	if err := mail.SendFunc(m)(ctx, "ann@example.com", "Your order", "Thanks"); err != nil {
		t.Fatal(err)
	}
	got, err := box.List(ctx, 10)
	if err != nil || len(got) != 1 || got[0].To != "ann@example.com" || got[0].Subject != "Your order" || got[0].Text != "Thanks" {
		t.Fatalf("mailbox holds %+v, %v", got, err)
	}
}

// TestNewWithSMTP: with OCEAN_SMTP_URL the mail goes to the server and
// there is no mailbox; a bad URL is an error.
func TestNewWithSMTP(t *testing.T) {
	m, box, err := mail.New("smtp://mail.example.com:587", "shop@example.com", new(mail.MemStore))
	if err != nil || box != nil {
		t.Fatalf("SMTP: %v %v %v", m, box, err)
	}
	if _, ok := m.(*mail.SMTP); !ok {
		t.Fatalf("SMTP: a %T", m)
	}
	if _, _, err := mail.New("ftp://mail.example.com", "shop@example.com", nil); err == nil {
		t.Fatal("an ftp URL accepted")
	}
}
