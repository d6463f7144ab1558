package secretbox

import (
	"encoding/json"
	"fmt"
)

// SealJSON seals v's JSON encoding.
func (b *Box) SealJSON(v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b.Seal(plain), nil
}

// OpenHeaders opens sealed custom headers (a JSON object); nothing sealed
// is no headers.
func (b *Box) OpenHeaders(sealed []byte) (map[string]string, error) {
	h := map[string]string{}
	if len(sealed) == 0 {
		return h, nil
	}
	plain, err := b.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	if err := json.Unmarshal(plain, &h); err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	return h, nil
}

// OpenJSON opens a sealed JSON value into v; nothing sealed leaves v as it is.
func (b *Box) OpenJSON(sealed []byte, v any) error {
	if len(sealed) == 0 {
		return nil
	}
	plain, err := b.Open(sealed)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// SealOmitZero seals v's JSON encoding, or nothing (nil) when v is zero.
func (b *Box) SealOmitZero(v interface{ IsZero() bool }) ([]byte, error) {
	if v.IsZero() {
		return nil, nil
	}
	return b.SealJSON(v)
}
