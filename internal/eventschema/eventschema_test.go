package eventschema

import (
	"os"
	"path/filepath"
	"testing"
)

const contactSchema = `{
	"type": "object",
	"required": ["id", "email"],
	"properties": {
		"id": {"type": "integer"},
		"email": {"type": "string", "format": "email"},
		"tags": {"type": "array", "items": {"type": "string", "maxLength": 5}}
	}
}`

func TestCheck(t *testing.T) {
	s, err := Compile([]byte(contactSchema))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ data, path string }{
		{`{"id": 1, "email": "a@b.c", "tags": ["vip"]}`, ""},
		{`{"id": "one", "email": "a@b.c"}`, "/id"},
		{`{"id": 1}`, "(missing)"},
		{`{"id": 1, "email": "a@b.c", "tags": ["ok", "far too long"]}`, "/tags/1"},
		{`[]`, "(root)"},
	}
	for _, c := range cases {
		v, err := s.Check([]byte(c.data))
		if err != nil {
			t.Fatalf("%s: %v", c.data, err)
		}
		switch {
		case c.path == "" && v != nil:
			t.Errorf("%s: unexpected violation %v", c.data, v)
		case c.path == "(missing)" && (v == nil || v.Path != ""):
			t.Errorf("%s: want a violation at the root for the missing field, got %v", c.data, v)
		case c.path == "(root)" && (v == nil || v.Path != ""):
			t.Errorf("%s: want a violation at the root, got %v", c.data, v)
		case c.path != "" && c.path[0] == '/' && (v == nil || v.Path != c.path):
			t.Errorf("%s: violation %v, want at %s", c.data, v, c.path)
		}
		if v != nil && v.Message == "" {
			t.Errorf("%s: violation without a message", c.data)
		}
	}
}

func TestCompileRefusesBadAndExternalSchemas(t *testing.T) {
	// A readable JSON file: a schema must not be able to load it.
	local := filepath.Join(t.TempDir(), "local.json")
	if err := os.WriteFile(local, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"type": "nope"}`, `{"$ref": "file://` + local + `"}`, `{"$ref": "https://example.com/s.json"}`, `{`} {
		if _, err := Compile([]byte(bad)); err == nil {
			t.Errorf("compiled %s", bad)
		}
	}
}
