// Package eventschema checks event data against an event type's JSON Schema
// (draft 2020-12 unless the schema names another). Schemas cannot load
// anything from outside: a $ref to a file or URL fails to compile.
package eventschema

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema is a compiled schema.
type Schema struct {
	s *jsonschema.Schema
}

// location names the schema inside the compiler; nothing is fetched from it.
const location = "urn:hookd:event-type-schema"

// Compile reads a schema document within the bounds (MaxBytes, MaxDepth,
// MaxObjects).
func Compile(raw []byte) (*Schema, error) {
	if err := checkBounds(raw); err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// The default loader reads file:// URLs: an empty one loads nothing.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(location, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(location)
	if err != nil {
		return nil, fmt.Errorf("not a valid JSON Schema: %s", strings.TrimPrefix(err.Error(), location))
	}
	return &Schema{s: s}, nil
}

// Violation is the first place where data breaks the schema.
type Violation struct {
	Path    string // a JSON pointer into the data, "" for the whole value
	Message string
}

func (v *Violation) Error() string {
	if v.Path == "" {
		return v.Message
	}
	return v.Path + ": " + v.Message
}

var printer = message.NewPrinter(language.English)

// Check validates JSON data; nil when it conforms.
func (s *Schema) Check(data []byte) (*Violation, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("data is not valid JSON: %w", err)
	}
	err = s.s.Validate(inst)
	if err == nil {
		return nil, nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil, err
	}
	// The deepest first cause is the most specific complaint.
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	path := ""
	for _, tok := range ve.InstanceLocation {
		path += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
	}
	return &Violation{Path: path, Message: ve.ErrorKind.LocalizedString(printer)}, nil
}
