package httpx_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

type jsonIn struct {
	Name  string         `json:"name"`
	Qty   int            `json:"qty"`
	Tags  []string       `json:"tags"`
	Extra map[string]any `json:"extra"`
}

func decodeBody(body, ctype string, max int64) (jsonIn, error) {
	r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	var v jsonIn
	err := httpx.DecodeJSON(httptest.NewRecorder(), r, &v, max)
	return v, err
}

// TestDecodeJSONRefuses: every way a body can be wrong is a 400 (413 over
// the cap) whose message says what, naming the field where there is one.
func TestDecodeJSONRefuses(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000)
	deepArr := `{"extra":{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}}"
	huge := `{"tags":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 10000), ",") + `]}`
	for _, c := range []struct {
		name, body, ctype string
		code, field, msg  string
	}{
		{"empty", "", "", ocean.EINVALID, "", "empty"},
		{"null", "null", "", ocean.EINVALID, "", "null"},
		{"array", `[1]`, "", ocean.EINVALID, "", "must be a JSON object"},
		{"string", `"x"`, "", ocean.EINVALID, "", "must be a JSON object"},
		{"form", "name=x", "application/x-www-form-urlencoded", ocean.EINVALID, "", "must be JSON"},
		{"unknown field", `{"name":"a","role":"admin"}`, "", ocean.EINVALID, "role", "does not accept"},
		{"duplicate key", `{"name":"a","name":"b"}`, "", ocean.EINVALID, "name", "twice"},
		{"duplicate key in other case", `{"name":"a","NAME":"b"}`, "", ocean.EINVALID, "NAME", "twice"},
		{"duplicate key by escape", `{"name":"a","\u006eame":"b"}`, "", ocean.EINVALID, "name", "twice"},
		{"duplicate nested key", `{"extra":{"k":1,"k":2}}`, "", ocean.EINVALID, "extra.k", "twice"},
		{"trailing object", `{"name":"a"} {"name":"b"}`, "", ocean.EINVALID, "", "after the JSON object"},
		{"trailing garbage", `{"name":"a"}x`, "", ocean.EINVALID, "", "after the JSON object"},
		{"invalid UTF-8", "{\"name\":\"Ad\xffa\"}", "", ocean.EINVALID, "name", "UTF-8"},
		{"invalid UTF-8 nested", "{\"tags\":[\"ok\",\"\xc3\"]}", "", ocean.EINVALID, "tags[1]", "UTF-8"},
		{"lone surrogate", `{"name":"\ud800"}`, "", ocean.EINVALID, "name", "UTF-8"},
		{"reversed surrogates", `{"name":"\udc00\ud800"}`, "", ocean.EINVALID, "name", "UTF-8"},
		{"1000 deep", deep, "", ocean.EINVALID, "", "levels deep"},
		{"40 deep arrays", deepArr, "", ocean.EINVALID, "extra.x", "levels deep"},
		{"10,000 elements", huge, "", ocean.EINVALID, "tags", "more than 1000 elements"},
		{"wrong type", `{"qty":"3"}`, "", ocean.EINVALID, "qty", "wrong type"},
		{"syntax", `{"name":"a",}`, "", ocean.EINVALID, "", "not valid JSON"},
		{"bad number", `{"qty":01}`, "", ocean.EINVALID, "", "not valid JSON"},
		{"control character", "{\"name\":\"a\nb\"}", "", ocean.EINVALID, "name", "control character"},
		{"truncated", `{"name":"a"`, "", ocean.EINVALID, "", "not valid JSON"},
		{"over the cap", `{"name":"` + strings.Repeat("a", 2000) + `"}`, "", ocean.ETOOLARGE, "", "larger than 1 KB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeBody(c.body, c.ctype, 1<<10+(map[bool]int64{true: 1 << 20}[c.code != ocean.ETOOLARGE]))
			if err == nil {
				t.Fatalf("accepted")
			}
			if got := ocean.ErrorCode(err); got != c.code {
				t.Errorf("code %s, want %s (%v)", got, c.code, err)
			}
			if !strings.Contains(ocean.ErrorMessage(err), c.msg) {
				t.Errorf("message %q does not say %q", ocean.ErrorMessage(err), c.msg)
			}
			fields := ocean.ErrorFields(err)
			if c.field != "" && (len(fields) != 1 || !strings.HasPrefix(fields[0].Field, c.field)) {
				t.Errorf("fields %+v, want %s", fields, c.field)
			}
		})
	}
}

func TestDecodeJSONAccepts(t *testing.T) {
	okDeep := `{"extra":{"x":` + strings.Repeat("[", 30) + strings.Repeat("]", 30) + "}}"
	for _, body := range []string{
		`{}`,
		` {"name":"Ada","qty":3,"tags":["a","b"]} ` + "\n",
		`{"name":"\u00e9\ud83d\ude00 caf\u00e9 \"q\" \\ \/","extra":{"a":[1,-2.5e3,true,false,null]}}`,
		`{"tags":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 1000), ",") + `]}`,
		okDeep,
		"{\"name\":\"Zoë 😀\"}",
	} {
		if _, err := decodeBody(body, "application/json; charset=utf-8", 1<<20); err != nil {
			t.Errorf("%.60q: %v", body, err)
		}
	}
	v, _ := decodeBody(`{"name":"Zo\u00eb"}`, "", 0)
	if v.Name != "Zoë" {
		t.Errorf("decoded %q", v.Name)
	}
}

// FuzzCheckJSON: what CheckJSON accepts is valid UTF-8 JSON encoding/json
// reads the same way (one object); its errors are always EINVALID with a
// message.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, `{"a":"\ud83d\ude00"}`, `{"a":1,"A":2}`, `{"a":"\ud800"}`,
		"{\"a\":\"\xff\"}", `{"a":1}{}`, `null`, `{"a":-0.1e+5}`, `{"a":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := httpx.CheckJSON(b)
		if err != nil {
			if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorMessage(err) == "" {
				t.Fatalf("%q: %v", b, err)
			}
			return
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("accepted %q, which is not valid UTF-8 JSON", b)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m == nil {
			t.Fatalf("accepted %q, which is not one object: %v", b, err)
		}
	})
}
