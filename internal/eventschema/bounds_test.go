package eventschema

import (
	"fmt"
	"strings"
	"testing"
)

// nestedItems is {"items": ...} n deep.
func nestedItems(n int) string {
	return strings.Repeat(`{"items":`, n-1) + `{}` + strings.Repeat(`}`, n-1)
}

// wideAndDeep is a schema of branches, each depth levels deep, up to about
// size bytes or objects objects: the shape that costs most within the bounds.
func wideAndDeep(depth, size, objects int) string {
	branch := nestedItems(depth)
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	n := 2 // the root and its properties
	for i := 0; b.Len()+len(branch)+32 < size && n+depth <= objects; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"p%d":%s`, i, branch)
		n += depth
	}
	b.WriteString("}}")
	return b.String()
}

func TestCompileBounds(t *testing.T) {
	if _, err := Compile([]byte(nestedItems(MaxDepth))); err != nil {
		t.Errorf("a schema nested %d deep (the limit): %v", MaxDepth, err)
	}
	if _, err := Compile([]byte(wideAndDeep(MaxDepth-2, MaxBytes, MaxObjects))); err != nil {
		t.Errorf("a schema at the size and object limits: %v", err)
	}
	for name, c := range map[string]struct{ doc, want string }{
		"5,000 deep":       {nestedItems(5000), "nested too deeply"},
		"one level beyond": {nestedItems(MaxDepth + 1), "nested too deeply"},
		"arrays count":     {`{"allOf":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, "nested too deeply"},
		"too many objects": {`{"anyOf":[` + strings.Repeat(`{},`, MaxObjects) + `{}]}`, "too many subschemas"},
		"too large":        {`{"description":"` + strings.Repeat("x", MaxBytes) + `"}`, "too large"},
		"broken JSON":      {`{"items":{`, "not valid JSON"},
	} {
		_, err := Compile([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

// BenchmarkCompileAtBounds compiles the costliest documents the bounds let
// through; before them, {"items": ...} 800 deep took 7 s.
func BenchmarkCompileAtBounds(b *testing.B) {
	for name, doc := range map[string]string{
		"deepest":       nestedItems(MaxDepth),
		"wide-and-deep": wideAndDeep(MaxDepth-2, MaxBytes, MaxObjects),
		"widest":        wideAndDeep(1, MaxBytes, MaxObjects),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Compile([]byte(doc)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
