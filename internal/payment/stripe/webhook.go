package stripe

import (
	"context"
	"io"
	"net/http"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// WebhookPath is where Stripe delivers events (POST).
const WebhookPath = "/webhooks/stripe"

// maxEvent bounds an event's body; Stripe's are a few kilobytes.
const maxEvent = 256 << 10

// Webhook serves POST WebhookPath: it verifies an event's signature and
// hands it to handle (checkout.Service.HandleEvent, which processes each
// event id once). A bad signature is a 400 (Stripe shows it to the owner);
// a processing failure a 500, so Stripe delivers the event again later.
func (g *Gateway) Webhook(handle func(ctx context.Context, gateway string, ev payment.Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEvent))
		if err != nil {
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.ETOOLARGE, Message: "The event is too large."})
			return
		}
		ev, err := g.ParseEvent(body, r.Header.Get(SignatureHeader))
		if err != nil {
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EINVALID, Message: "The event's signature is not valid.", Err: err})
			return
		}
		if err := handle(r.Context(), Name, ev); err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
