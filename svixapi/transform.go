package svixapi

import (
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/transform"
)

// transformationOut is Svix's EndpointTransformationOut. hookd keeps no
// disabled script: enabled says whether the endpoint has one.
type transformationOut struct {
	Code    *string `json:"code,omitempty"`
	Enabled bool    `json:"enabled"`
}

type transformationIn struct {
	Code    *string `json:"code"`
	Enabled *bool   `json:"enabled"`
}

func (s *Server) getTransformation(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	out := transformationOut{Enabled: e.Transformation != ""}
	if out.Enabled {
		out.Code = &e.Transformation
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// patchTransformation sets the endpoint's transformation to code, checked
// as the native API does; enabled false removes it (with its code: hookd
// keeps none disabled).
func (s *Server) patchTransformation(w http.ResponseWriter, r *http.Request) error {
	var in transformationIn
	if err := decode(w, r, &in, transform.MaxScriptBytes+64<<10); err != nil {
		return err
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	src := e.Transformation
	var v hookd.Validation
	switch {
	case in.Enabled != nil && !*in.Enabled:
		src = ""
	case in.Code != nil:
		src = *in.Code
		if src == "" && in.Enabled != nil {
			v.Add("code", "is required to enable a transformation")
		}
		transform.Check(&v, "code", src)
	case in.Enabled != nil && src == "":
		v.Add("code", "is required to enable a transformation")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := s.store.UpdateEndpoint(r.Context(), e.TenantID, e.ID, hookd.EndpointUpdate{Transformation: &src}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
