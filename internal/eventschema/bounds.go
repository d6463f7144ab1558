package eventschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Bounds on a schema document, checked before it is compiled. Compilation
// in jsonschema/v6 is superlinear: the compiler finds each subschema in its
// queue by a linear search (quadratic in the number of subschemas), and the
// validation of the document against the draft's meta-schema rebuilds, at
// every $ref and $dynamicRef it follows, the JSON pointer of where it is by
// repeated string concatenation (quadratic in the depth, at each level: cubic
// in all). {"items": ...} nested 800 deep took 7 s, 5,000 deep minutes. Within
// these bounds the worst case compiles in milliseconds (see
// BenchmarkCompileAtBounds), so no compile can hold a request or a CPU.
const (
	MaxBytes   = 64 << 10 // the document's size
	MaxDepth   = 32       // nested JSON objects and arrays
	MaxObjects = 2000     // JSON objects (every subschema is one)
)

// checkBounds reads raw as JSON tokens, without building it, and refuses
// documents beyond the bounds.
func checkBounds(raw []byte) error {
	if len(raw) > MaxBytes {
		return fmt.Errorf("too large: %d bytes, the limit is %d", len(raw), MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	depth, objects := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not valid JSON: %w", err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("nested too deeply: more than %d levels of objects and arrays", MaxDepth)
			}
			if tok == json.Delim('{') {
				objects++
				if objects > MaxObjects {
					return fmt.Errorf("too many subschemas: more than %d JSON objects", MaxObjects)
				}
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}
