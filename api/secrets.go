package api

import (
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

type rotateInput struct {
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

type secretAnswer struct {
	SigningSecret string `json:"signing_secret"`
	// OldSecretExpiresAt is when the previous secrets stop signing (rotation only).
	OldSecretExpiresAt *time.Time `json:"old_secret_expires_at,omitempty"`
}

// rotateSecret gives the endpoint a new secret at once; the old one keeps
// signing beside it for the overlap, so receivers can switch without a gap.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in rotateInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in, 4<<10); err != nil {
			return err
		}
	}
	var v hookd.Validation
	overlap := service.RotationOverlap(&v, "overlap_seconds", in.OverlapSeconds)
	if err := v.Err(); err != nil {
		return err
	}
	secret, expires, err := service.RotateSecret(r.Context(), s.store, r.PathValue("tenant"), r.PathValue("id"), "", overlap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, secretAnswer{SigningSecret: secret, OldSecretExpiresAt: &expires})
	return nil
}

// revealSecret shows the current secret to admins, where the deployment
// allows it (--allow-secret-reveal); otherwise the secret is shown only
// when it is created or rotated.
func (s *Server) revealSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := service.RevealSecret(r.Context(), s.store, s.cfg.AllowSecretReveal, r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, secretAnswer{SigningSecret: secret})
	return nil
}
