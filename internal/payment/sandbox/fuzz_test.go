package sandbox

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

func FuzzDecodeTokenRequest(f *testing.F) {
	f.Add(`{"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}`)
	f.Add(`{"number": 1}`)
	f.Add(`{"exp_month": 1e999}`)
	f.Add(`{"cvc": "1"} {"cvc": "2"}`)
	f.Add(`{"Number": "x", "extra": true}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", TokensPath, strings.NewReader(body))
		card, err := decodeTokenRequest(httptest.NewRecorder(), r)
		if err != nil {
			if code := ocean.ErrorCode(err); code != ocean.EINVALID && code != ocean.ETOOLARGE {
				t.Fatalf("error code %q for %q: %v", code, body, err)
			}
			if ocean.ErrorMessage(err) == "" {
				t.Fatalf("no message for %q", body)
			}
			return
		}
		// Accepted: it was one JSON object whose fields decode the same.
		var again tokenRequest
		if json.Unmarshal([]byte(body), &again) != nil || CardInput(again) != card {
			t.Fatalf("accepted %q as %+v", body, card)
		}
	})
}
