package api

import (
	"context"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

// Rotation overlap bounds: the old secret may keep signing for up to a week.
const (
	defaultOverlap = 24 * time.Hour
	maxOverlap     = 7 * 24 * time.Hour
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
	overlap := defaultOverlap
	if in.OverlapSeconds != nil {
		if *in.OverlapSeconds < 0 || *in.OverlapSeconds > int64(maxOverlap/time.Second) {
			return hookd.Invalid("overlap_seconds", "must be between 0 and %d (7 days)", int64(maxOverlap/time.Second))
		}
		overlap = time.Duration(*in.OverlapSeconds) * time.Second
	}
	secret, err := signature.NewSecret()
	if err != nil {
		return err
	}
	if err := s.store.RotateSecret(r.Context(), r.PathValue("tenant"), r.PathValue("id"), secret, overlap); err != nil {
		return err
	}
	expires := time.Now().Add(overlap).UTC().Truncate(time.Second)
	writeJSON(w, http.StatusOK, secretAnswer{SigningSecret: secret, OldSecretExpiresAt: &expires})
	return nil
}

// revealSecret shows the current secret to admins, where the deployment
// allows it (--allow-secret-reveal); otherwise the secret is shown only
// when it is created or rotated.
func (s *Server) revealSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.RevealSecret(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, secretAnswer{SigningSecret: secret})
	return nil
}

// RevealSecret returns the endpoint's current signing secret where the
// deployment allows it (EFORBIDDEN otherwise). Callers check the role.
func (s *Server) RevealSecret(ctx context.Context, tenantID, endpointID string) (string, error) {
	if !s.cfg.AllowSecretReveal {
		return "", hookd.Errorf(hookd.EFORBIDDEN, "this deployment does not reveal secrets (--allow-secret-reveal is off); rotate the secret to get a new one")
	}
	secrets, err := s.store.Secrets(ctx, tenantID, endpointID)
	if err != nil {
		return "", err
	}
	if len(secrets) == 0 {
		return "", hookd.Errorf(hookd.ENOTFOUND, "the endpoint has no valid secret; rotate it")
	}
	return secrets[0], nil
}
