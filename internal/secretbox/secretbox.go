// Package secretbox encrypts secrets at rest (signing secrets, custom header
// values) with AES-256-GCM under a key from configuration.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
	key  []byte // kept only to derive purpose-bound keys from
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// DeriveKey returns a 32-byte key for one purpose (portal links, dashboard
// sessions...), derived from the encryption key with HKDF-SHA256 and label
// as the info. Distinct labels give independent keys, so no other use can
// forge or read what one purpose signs; every node given the same
// encryption key derives the same keys.
func (b *Box) DeriveKey(label string) []byte {
	out, err := hkdf.Key(sha256.New, b.key, nil, label, KeySize)
	if err != nil { // only for lengths HKDF cannot produce
		panic("secretbox: derive key: " + err.Error())
	}
	return out
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("encryption key must decode to %d bytes, got %d (make one with: openssl rand -base64 32)", KeySize, len(key))
			}
			return key, nil
		}
	}
	return nil, errors.New("encryption key must be base64 (make one with: openssl rand -base64 32)")
}

// NewKey returns a random key, base64 encoded.
func NewKey() string {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// LoadOrCreateKeyFile reads the key at path, or creates a new one there
// (mode 0600) and reports created=true.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("key file %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read key file: %w", err)
	}
	encoded := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.WriteString(encoded + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	key, _ = ParseKey(encoded)
	return key, true, nil
}

// Seal encrypts plaintext; the result holds its own random nonce.
func (b *Box) Seal(plaintext []byte) []byte {
	out := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	_, _ = rand.Read(out)
	return b.aead.Seal(out, out, plaintext, nil)
}

// Open decrypts what Seal produced.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, errors.New("decrypt: value too short")
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, errors.New("decrypt: wrong encryption key or corrupted value")
	}
	return plain, nil
}
