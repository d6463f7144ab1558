package api

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/jsonx"
)

// FuzzParseEvent feeds arbitrary bodies to the parser of a single publish,
// over a real SQLite catalogue with one schema. Whatever the body, the
// answer is a caller's error (never an internal one) or an event whose
// bytes are what a receiver can take: valid UTF-8 JSON within the limit,
// the payload as given, or data in an envelope JavaScript re-serialises to
// the same bytes.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"contact.created","data":{"name":"Ada","2":1,"1":0}}`,
		`{"id":"evt-1","type":"contact.created","data":{"name":7}}`,
		`{"type":"free.form","payload":{"a":[1,2.50,"\u00e9"]}}`,
		`{"type":"free.form","payload":["\ud800"],"data":null}`,
		`{"type":"x","data":{},"type":"y"}`,
		`{"type":"x","payload":"text"}`,
		`{"type":"x","data":1e400}`,
		"{\"type\":\"x\",\"payload\":{\"s\":\"\xff\"}}",
		`{"type":"x","data":{"a":{"b":{"c":[[[[]]]]}}}}`,
		`[]`, `{}`, ``, `{"type":"x","data":{}} {}`,
	} {
		f.Add([]byte(s))
	}
	db, _ := testDB(f)
	schema := `{"type":"object","properties":{"name":{"type":"string","maxLength":20}}}`
	if err := db.CreateEventType(f.Context(), &hookd.EventType{Name: "contact.created", Schema: json.RawMessage(schema)}); err != nil {
		f.Fatal(err)
	}
	const limit = 16 << 10
	s := New(db, nil, Config{MaxPayloadBytes: limit}, nil)
	now := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	hash := regexp.MustCompile(`^[0-9a-f]{64}$`)

	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := s.parseEvent(t.Context(), body, "", now)
		if err != nil {
			switch code := hookd.ErrorCode(err); code {
			case hookd.EINVALID, hookd.EMALFORMED, hookd.ETOOLARGE:
			default:
				t.Fatalf("%q: %s error %v", body, code, err)
			}
			return
		}
		if !hookd.ValidID(ev.ID) || !hookd.ValidID(ev.Type) || !hash.MatchString(ev.RequestHash) || !ev.CreatedAt.Equal(now) {
			t.Fatalf("%q: event %+v", body, ev)
		}
		if len(ev.Payload) > limit || !utf8.Valid(ev.Payload) || !json.Valid(ev.Payload) {
			t.Fatalf("%q: payload %q is not valid UTF-8 JSON within the limit", body, ev.Payload)
		}
		var in eventInput
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("%q was accepted, but encoding/json cannot read it: %v", body, err)
		}
		if len(in.Payload) > 0 && !isJSONNull(in.Payload) {
			if !bytes.Equal(ev.Payload, in.Payload) {
				t.Fatalf("%q: payload %q, want it as given", body, ev.Payload)
			}
		} else if again, err := jsonx.AppendNormalized(nil, ev.Payload); err != nil || !bytes.Equal(again, ev.Payload) {
			t.Fatalf("%q: the envelope %q does not re-serialise to itself: %q, %v", body, ev.Payload, again, err)
		}
		// The same body, the same event.
		if twin, err := s.parseEvent(t.Context(), body, "", now); err != nil || twin.RequestHash != ev.RequestHash ||
			(in.ID != "" && !bytes.Equal(twin.Payload, ev.Payload)) {
			t.Fatalf("%q parsed twice differs: %+v, %v", body, twin, err)
		}
	})
}

// BenchmarkDecodeBody measures what the body rules (jsonx.Check) add to
// encoding/json's decode of a publish body.
func BenchmarkDecodeBody(b *testing.B) {
	small := []byte(`{"id":"evt-1","type":"contact.created","data":{"contact_id":"c_9f2a","email":"grace@example.com","name":"Grace Hopper","tags":["vip","b2b"],"score":4.5}}`)
	var batch bytes.Buffer
	batch.WriteString(`{"events":[`)
	for i := 0; batch.Len() < 1<<20; i++ {
		if i > 0 {
			batch.WriteByte(',')
		}
		batch.Write(small)
	}
	batch.WriteString(`]}`)
	for _, c := range []struct {
		name string
		body []byte
		into func() any
	}{
		{"event", small, func() any { return new(eventInput) }},
		{"batch-1MiB", batch.Bytes(), func() any { return new(batchInput) }},
	} {
		b.Run(c.name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if err := json.Unmarshal(c.body, c.into()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decodeBody", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if err := decodeBody(c.body, c.into()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
