package account

import (
	"context"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/throttle"
)

// Passwords and resets: changing a password, and the reset by mail.

// ChangePassword sets a new password after checking the current one, and
// signs out every other browser and API client of the account.
func (s *Service) ChangePassword(ctx context.Context, id int64, current, next string, keepSession string, m Meta) error {
	u, err := s.c.Store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	// A stolen session must not become a way to guess the password: wrong
	// current passwords count against the account like failed sign-ins.
	acctKey := throttle.AccountKey("signin", u.Email)
	if d, err := s.wait(ctx, s.c.SignInLimit, acctKey); err != nil || d > 0 {
		if err == nil {
			err = throttled(d)
		}
		return err
	}
	if ok, _, err := VerifyPassword(u.PasswordHash, current); err != nil || !ok {
		_, _ = s.c.SignInLimit.Fail(ctx, acctKey)
		s.audit(ctx, EventSignInFailed, id, id, m, "wrong current password")
		return &ocean.Error{Code: ocean.EINVALID, Message: "The current password is wrong.", Fields: []ocean.FieldError{{Field: "current_password", Message: "is wrong"}}}
	}
	if err := CheckPassword(next); err != nil {
		return err
	}
	if err := s.setPassword(ctx, id, next, keepSession); err != nil {
		return err
	}
	s.audit(ctx, EventPasswordChange, id, id, m, "")
	return nil
}

func (s *Service) setPassword(ctx context.Context, id int64, pw, keepSession string) error {
	h, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if err := s.c.Store.SetPasswordHash(ctx, id, h); err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, id, keepSession)
}

func (s *Service) signOutEverywhere(ctx context.Context, id int64, keepSession string) error {
	var keep *Session
	if keepSession != "" {
		keep, _ = s.c.Store.Session(ctx, hashSecret(keepSession))
	}
	if err := s.c.Store.DeleteUserSessions(ctx, id); err != nil {
		return err
	}
	if keep != nil && keep.UserID == id {
		if err := s.c.Store.CreateSession(ctx, keep); err != nil {
			return err
		}
	}
	return s.c.Store.RevokeUserRefresh(ctx, id)
}

// RequestReset mails a single-use link if the address has an account. The
// answer and its timing are the same either way: the mail is sent in the
// background.
func (s *Service) RequestReset(ctx context.Context, email string, m Meta) error {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	acctKey, ipKey := throttleKeys("reset", norm, m.IP)
	if d, err := s.wait(ctx, s.c.ResetLimit, acctKey, ipKey); err != nil || d > 0 {
		if err == nil {
			err = throttled(d)
		}
		return err
	}
	// Every request counts, known address or not, so the limit itself
	// says nothing about whether an account exists.
	_, _ = s.c.ResetLimit.Fail(ctx, acctKey)
	_, _ = s.c.ResetLimit.Fail(ctx, ipKey)
	go s.sendReset(context.WithoutCancel(ctx), norm, m)
	return nil
}

func (s *Service) sendReset(ctx context.Context, email string, m Meta) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := s.c.Store.UserByEmail(ctx, email)
	if err != nil || u.ErasedAt != nil {
		if err != nil && ocean.ErrorCode(err) != ocean.ENOTFOUND {
			s.log.Error("password reset lookup failed", "err", err)
		}
		return
	}
	tok, err := randomSecret()
	if err != nil {
		s.log.Error("password reset token", "err", err)
		return
	}
	if err := s.c.Store.CreateReset(ctx, &Reset{Hash: hashSecret(tok), UserID: u.ID, ExpiresAt: s.now().UTC().Add(ResetLifetime)}); err != nil {
		s.log.Error("password reset not stored", "err", err)
		return
	}
	s.audit(ctx, EventResetRequest, 0, u.ID, m, "")
	link := strings.TrimRight(s.c.BaseURL, "/") + "/account/reset?token=" + tok
	text := "Hello " + u.Name + ",\n\nSomeone asked to reset the password of your Ocean account. " +
		"If it was you, choose a new password here within an hour:\n\n" + link +
		"\n\nThe link works once. If you did not ask, ignore this message: your password stays as it is.\n"
	if err := s.c.Mail(ctx, u.Email, "Reset your password", text); err != nil {
		s.log.Error("password reset mail not sent", "err", err)
	}
}

// ResetPassword sets a new password with a token from RequestReset's mail.
// The token works once; every session and API client is signed out.
func (s *Service) ResetPassword(ctx context.Context, tok, password string, m Meta) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	if !validSecret(tok) {
		return errResetLink
	}
	id, err := s.c.Store.ConsumeReset(ctx, hashSecret(tok), s.now().UTC())
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return errResetLink
		}
		return err
	}
	if err := s.setPassword(ctx, id, password, ""); err != nil {
		return err
	}
	_ = s.c.SignInLimit.Reset(ctx, throttle.AccountKey("signin", s.emailOf(ctx, id)))
	s.audit(ctx, EventReset, id, id, m, "")
	return nil
}

func (s *Service) emailOf(ctx context.Context, id int64) string {
	u, err := s.c.Store.UserByID(ctx, id)
	if err != nil {
		return ""
	}
	return u.Email
}
