package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// filterOutcome is what the form's Test button found; nil until pressed.
type filterOutcome struct {
	Matches bool
	Error   string // the filter did not compile, or could not decide
}

// FilterTestAction is where the Test button posts the form.
func (f *endpointForm) FilterTestAction() string {
	if f.Endpoint != nil {
		return endpointURL(f.Tenant.ID, f.Endpoint.ID) + "/filter-test"
	}
	return tenantURL(f.Tenant.ID) + "/endpoints/filter-test"
}

// testFilter evaluates the form's filter on its sample (the JSON given, else
// the chosen type's example) with the API's rule, and shows the form again as
// entered, with the verdict and nothing saved. htmx swaps in only the
// verdict; without scripts the whole page comes back.
func (h *Handler) testFilter(c *call) error {
	var e *hookd.Endpoint
	if id := c.r.PathValue("id"); id != "" {
		var err error
		if e, err = h.store.Endpoint(c.r.Context(), c.tenant.ID, id); err != nil {
			return err
		}
	}
	f, err := h.newForm(c, e)
	if err != nil {
		return err
	}
	_, _ = h.readForm(c, f) // only shown again: the other fields' problems wait for Save
	f.FilterSample = strings.TrimSpace(c.r.PostFormValue("filter_sample"))
	f.FilterType = c.r.PostFormValue("filter_event_type")
	f.FilterOutcome = &filterOutcome{}
	var res service.FilterTestResult
	switch {
	case f.FilterSample != "" && !json.Valid([]byte(f.FilterSample)):
		err = hookd.Invalid("filter_sample", "the sample is not JSON")
	case f.FilterSample == "" && f.FilterType == "":
		err = hookd.Invalid("filter_sample", "give a sample, or choose an event type whose example to use")
	default:
		res, err = service.TestFilter(c.r.Context(), h.store, f.Filter, f.FilterType, nil, json.RawMessage(f.FilterSample))
	}
	var he *hookd.Error
	switch {
	case errors.As(err, &he) && len(he.Fields) > 0:
		f.FilterOutcome.Error = he.Fields[0].Message
	case errors.As(err, &he): // an event type not in the catalogue
		f.FilterOutcome.Error = he.Message
	case err != nil:
		return err
	default:
		f.FilterOutcome.Matches, f.FilterOutcome.Error = res.Matches, res.Error
	}
	h.render(c.w, c.r, c.who, http.StatusOK, "endpoint_form", f)
	return nil
}
