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
	return f.testAction("filter-test")
}

// testAction is where a Test button of the form posts it.
func (f *endpointForm) testAction(name string) string {
	if f.Endpoint != nil {
		return endpointURL(f.Tenant.ID, f.Endpoint.ID) + "/" + name
	}
	return tenantURL(f.Tenant.ID) + "/endpoints/" + name
}

// testFilter evaluates the form's filter on its sample (the JSON given, else
// the chosen type's example) with the API's rule.
func (h *Handler) testFilter(c *call) error {
	return h.formTest(c, func(f *endpointForm, _ *hookd.Endpoint) error {
		f.FilterSample = strings.TrimSpace(c.r.PostFormValue("filter_sample"))
		f.FilterType = c.r.PostFormValue("filter_event_type")
		f.FilterOutcome = &filterOutcome{}
		if err := checkSample("filter_sample", f.FilterSample, f.FilterType); err != nil {
			return err
		}
		res, err := service.TestFilter(c.r.Context(), h.store, f.Filter, f.FilterType, nil, json.RawMessage(f.FilterSample))
		f.FilterOutcome.Matches, f.FilterOutcome.Error = res.Matches, res.Error
		return err
	}, func(f *endpointForm, msg string) { f.FilterOutcome.Error = msg })
}

// checkSample is the rule of a Test button's sample: JSON, or empty with a
// type whose example to use.
func checkSample(field, sample, eventType string) error {
	switch {
	case sample != "" && !json.Valid([]byte(sample)):
		return hookd.Invalid(field, "the sample is not JSON")
	case sample == "" && eventType == "":
		return hookd.Invalid(field, "give a sample, or choose an event type whose example to use")
	}
	return nil
}

// formTest serves a Test button of the endpoint form: it reads the form as
// entered, lets run test its field (given the stored endpoint, or when
// adding the one entered: its URL, a broker's derived), and shows the form again with the outcome, nothing saved; a
// domain error of run is shown through failed. htmx swaps in only the
// outcome; without scripts the whole page comes back.
func (h *Handler) formTest(c *call, run func(f *endpointForm, e *hookd.Endpoint) error, failed func(f *endpointForm, msg string)) error {
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
	u, _ := h.readForm(c, f) // only shown again: the other fields' problems wait for Save
	if e == nil {
		e = &hookd.Endpoint{URL: f.URL}
		if u.URL != nil { // the webhook field, or the broker's URL when its fields are valid
			e.URL = *u.URL
		}
	}
	err = run(f, e)
	var he *hookd.Error
	switch {
	case errors.As(err, &he) && len(he.Fields) > 0:
		failed(f, he.Fields[0].Message)
	case errors.As(err, &he): // an event type not in the catalogue
		failed(f, he.Message)
	case err != nil:
		return err
	}
	h.render(c.w, c.r, c.who, http.StatusOK, "endpoint_form", f)
	return nil
}
