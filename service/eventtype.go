package service

import (
	"encoding/json"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/eventschema"
	"github.com/hookd/hookd/internal/jsonx"
)

// CheckEventType validates a catalogue entry: its name, description,
// JSON Schema (compiled) and example, which must pass the schema because
// test events send it. A JSON null schema or example counts as absent.
// The API and the dashboard both apply it.
func CheckEventType(et *hookd.EventType) error {
	var v hookd.Validation
	if !hookd.ValidID(et.Name) {
		v.Add("name", "must be 1-128 letters, digits, '_', '.', ':' or '-', like contact.created")
	}
	hookd.CheckDescription(&v, "description", et.Description)
	var schema *eventschema.Schema
	if jsonNull(et.Schema) {
		et.Schema = nil
	} else if len(et.Schema) > 0 {
		var err error
		if et.Schema[0] != '{' {
			v.Add("schema", "must be a JSON Schema object")
		} else if schema, err = eventschema.Compile(et.Schema); err != nil {
			v.Add("schema", "%v", err)
		}
	}
	if jsonNull(et.Example) {
		et.Example = nil
	} else if len(et.Example) > 0 {
		if _, err := jsonx.AppendNormalized(nil, et.Example); err != nil {
			v.Add("example", "%v", err)
		} else if schema != nil {
			// Test events send the example, so it must pass the schema.
			if violation, _ := schema.Check(et.Example); violation != nil {
				v.Add("example"+violation.Path, "does not match the schema: %s", violation.Message)
			}
		}
	}
	return v.Err()
}

func jsonNull(b json.RawMessage) bool { return string(b) == "null" }
