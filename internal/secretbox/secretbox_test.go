package secretbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, _ := ParseKey(NewKey())
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte("whsec_secret"))
	if bytes.Contains(sealed, []byte("whsec_secret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := box.Open(sealed)
	if err != nil || string(got) != "whsec_secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	otherKey, _ := ParseKey(NewKey())
	other, _ := New(otherKey)
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("a different key opened the value")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := box.Open(sealed); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestParseKeyRejectsWrongLength(t *testing.T) {
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("accepted a 5-byte key")
	}
	if _, err := ParseKey("not base64!!"); err == nil {
		t.Fatal("accepted garbage")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookd.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: created=%v err=%v same=%v", created, err, bytes.Equal(k1, k2))
	}
}

func TestDeriveKey(t *testing.T) {
	key, _ := ParseKey(NewKey())
	a, _ := New(key)
	b, _ := New(key)
	other, _ := New(make([]byte, KeySize))
	k1, k2 := a.DeriveKey("portal links"), a.DeriveKey("dashboard sessions")
	if len(k1) != KeySize || len(k2) != KeySize {
		t.Fatalf("derived key lengths %d and %d, want %d", len(k1), len(k2), KeySize)
	}
	if string(k1) == string(k2) {
		t.Error("two labels derived the same key")
	}
	if string(k1) != string(b.DeriveKey("portal links")) {
		t.Error("the same encryption key and label derived different keys")
	}
	if string(k1) == string(other.DeriveKey("portal links")) {
		t.Error("another encryption key derived the same key")
	}
	if string(k1) == string(key) {
		t.Error("the derived key is the encryption key itself")
	}
}
