// Package filter compiles and runs endpoints' content filters: CEL
// expressions (github.com/google/cel-go) over an event, as a hookd.Filterer.
package filter

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/hookd/hookd"
)

const (
	// MaxLength bounds an expression's source, in bytes.
	MaxLength = 4096
	// CostLimit bounds one evaluation (CEL's runtime cost units: about one a
	// comparison, field access or list element visited), so no filter can
	// stall a publish; an evaluation that reaches it matches nothing.
	CostLimit = 100_000
)

// env declares what an expression sees. Qualified names rather than a map
// variable, so a misspelt field (event.dta) is an error when the filter is set.
var env = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("event.type", cel.StringType),
		cel.Variable("event.channels", cel.ListType(cel.StringType)),
		cel.Variable("event.data", cel.DynType),
	)
})

// Program is a compiled filter.
type Program struct {
	src    string
	prg    cel.Program
	logged atomic.Int64 // unix seconds of the last logged failure: at most one a minute
}

// Compile parses and type-checks src: a hookd EINVALID error on field
// "filter" naming the line, column and message of each problem.
func Compile(src string) (*Program, error) {
	var v hookd.Validation
	p := compile(&v, "filter", src)
	return p, v.Err()
}

// Check adds to v what is wrong with src as the filter in field; "" (no
// filter) is fine. The API's and the dashboard's validation call it.
func Check(v *hookd.Validation, field, src string) {
	if src != "" {
		compile(v, field, src)
	}
}

func compile(v *hookd.Validation, field, src string) *Program {
	if len(src) > MaxLength {
		v.Add(field, "is %d bytes, over the limit of %d", len(src), MaxLength)
		return nil
	}
	if !hookd.CheckText(v, field, src) {
		return nil
	}
	if strings.TrimSpace(src) == "" {
		v.Add(field, "is empty")
		return nil
	}
	e, err := env()
	if err != nil {
		panic(fmt.Sprintf("filter environment: %v", err)) // fixed declarations: a bug, not input
	}
	ast, iss := e.Compile(src)
	if iss.Err() != nil {
		var msgs []string
		for _, ce := range iss.Errors() {
			loc := ce.Location
			msgs = append(msgs, fmt.Sprintf("%d:%d: %s", loc.Line(), loc.Column()+1, ce.Message))
		}
		v.Add(field, "%s", strings.Join(msgs, "; "))
		return nil
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		v.Add(field, "must be a boolean expression, not %s", t)
		return nil
	}
	prg, err := e.Program(ast, cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(100), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		v.Add(field, "%v", err)
		return nil
	}
	return &Program{src: src, prg: prg}
}

// Eval runs the filter on ev: whether it matches, or why it could not decide
// (data not JSON, a runtime error, the cost limit, a non-boolean result).
func (p *Program) Eval(ev *hookd.FilterEvent) (bool, error) {
	data, err := ev.Data()
	if err != nil {
		return false, fmt.Errorf("event data is not JSON: %w", err)
	}
	channels := ev.Channels
	if channels == nil {
		channels = []string{}
	}
	out, _, err := p.prg.Eval(map[string]any{"event.type": ev.Type, "event.channels": channels, "event.data": data})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, errors.New("the filter's result is not a boolean")
	}
	return b, nil
}

var evalErrors atomic.Uint64

// EvalErrors counts the evaluations that could not decide since start.
func EvalErrors() uint64 { return evalErrors.Load() }

// Match is Eval for fan-out: an error is no delivery, counted, and logged at
// most once a minute per filter (a missing field fails every such event).
func (p *Program) Match(ev *hookd.FilterEvent) bool {
	ok, err := p.Eval(ev)
	if err != nil {
		evalErrors.Add(1)
		now, last := time.Now().Unix(), p.logged.Load()
		if now-last >= 60 && p.logged.CompareAndSwap(last, now) {
			slog.Warn("content filter could not decide: no delivery", "event_type", ev.Type, "filter", p.src, "err", err)
		}
	}
	return ok
}
