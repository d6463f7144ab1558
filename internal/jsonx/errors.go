package jsonx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SyntaxError says where the JSON is broken or refused.
type SyntaxError struct {
	Offset int
	// Path names the value at fault, like a.b[2] ("" for the whole text).
	Path  string
	Msg   string
	steps []string // the path as the error travels up, innermost first
}

func (e *SyntaxError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("invalid JSON at byte %d (at %s): %s", e.Offset, e.Path, e.Msg)
}

// inside records the key or index of the member an error was found in, as
// the error travels up; document makes the path of them once, so a deep
// error costs linear time.
func inside(err error, key string, index int) error {
	var e *SyntaxError
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case index >= 0:
		e.steps = append(e.steps, "["+strconv.Itoa(index)+"]")
	case key == "":
		e.steps = append(e.steps, `""`)
	default:
		e.steps = append(e.steps, key)
	}
	return e
}

// pathOf joins steps (innermost first) into a path like a.b[2]. A path of
// more than 64 steps keeps the outer and inner 32, around "...".
func pathOf(steps []string) string {
	const keep = 32
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		if len(steps) > 2*keep && i == len(steps)-1-keep {
			b.WriteString("...")
			i = keep
		}
		if b.Len() > 0 && steps[i][0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(steps[i])
	}
	return b.String()
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}
