package dashboard

import (
	"encoding/json"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// transformOutcome is what the transformation's Test button found; nil
// until pressed.
type transformOutcome struct {
	service.TransformTestResult
}

// TransformTestAction is where the transformation's Test button posts the form.
func (f *endpointForm) TransformTestAction() string {
	return f.testAction("transformation-test")
}

// testTransformation runs the form's transformation on its sample (the JSON
// given, else the envelope of the chosen type's example) with the API's
// rule, on the endpoint as stored (its URL and headers), or as entered
// when adding (formTest).
func (h *Handler) testTransformation(c *call) error {
	return h.formTest(c, func(f *endpointForm, e *hookd.Endpoint) error {
		f.TransformSample = strings.TrimSpace(c.r.PostFormValue("transformation_sample"))
		f.TransformType = c.r.PostFormValue("transformation_event_type")
		f.TransformOutcome = &transformOutcome{}
		if err := checkSample("transformation_sample", f.TransformSample, f.TransformType); err != nil {
			return err
		}
		res, err := service.TestTransformation(c.r.Context(), h.store, e, f.Transformation, f.TransformType, json.RawMessage(f.TransformSample))
		f.TransformOutcome.TransformTestResult = res
		return err
	}, func(f *endpointForm, msg string) { f.TransformOutcome.Error = msg })
}
