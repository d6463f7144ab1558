package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	goruntime "runtime"
	"runtime/metrics"
	"time"

	"github.com/dop251/goja"
)

// Timeout bounds one run of a transformation (and its top level, once per
// runtime). A variable so that the server's flag can set it at start.
var Timeout = 50 * time.Millisecond

// MaxAllocBytes bounds what the process may allocate while one
// transformation runs, sampled every millisecond: goja has no heap limit of
// its own, and the Go runtime counts allocations per process only, so the
// count includes the rest of the server's (a busy server allocates a few
// hundred KiB in a millisecond; the bound is far above).
const MaxAllocBytes = 64 << 20

// slots bounds the transformations running at once in the process, so the
// memory they can hold together is slots × MaxAllocBytes; a delivery waits
// for a slot under its attempt's context.
var slots = make(chan struct{}, 2*goruntime.GOMAXPROCS(0))

// poolSize is how many idle runtimes a script keeps for its next runs.
const poolSize = 2

// prelude runs in every runtime before the script. It caps the builtins
// whose one call builds a string or an array from a length the script
// gives (such a call is Go code the interrupt cannot stop halfway), and
// removes binary buffers, which allocate their length at once and which a
// JSON webhook does not need.
var prelude = goja.MustCompile("prelude", fmt.Sprintf(`(function (max) {
	const wrap = (o, name, size) => {
		const f = o[name];
		Object.defineProperty(o, name, { writable: true, configurable: true, value: function (...a) {
			if (size(this, a) > max) throw new RangeError(name + ": the result would be over " + max + " long");
			return f.apply(this, a);
		} });
	};
	wrap(String.prototype, "repeat", (s, a) => String(s).length * Number(a[0]));
	wrap(String.prototype, "padStart", (s, a) => Number(a[0]));
	wrap(String.prototype, "padEnd", (s, a) => Number(a[0]));
	wrap(Array.prototype, "fill", (s) => s.length);
	wrap(Array.prototype, "join", (s, a) => s.length * Math.max(1, a[0] === undefined ? 1 : String(a[0]).length));
	wrap(Array, "from", (s, a) => a[0] == null ? 0 : Number(a[0].length) || 0);
	for (const n of ["ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray",
		"Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
		delete globalThis[n];
	}
})(%d)`, MaxStringLength), true)

// runner builds the webhook object, calls handler and checks the shape of
// what it returned: [body, headers as JSON, url], or null when cancelled.
var runner = goja.MustCompile("runner", `(function (body, headers, url) {
	const webhook = { payload: JSON.parse(body), headers: JSON.parse(headers), url: url, cancel: false };
	const out = handler(webhook);
	if (out === null || typeof out !== "object") throw new TypeError("handler returned " + (out === null ? "null" : typeof out) + ", not the webhook object");
	if (out.cancel !== undefined && typeof out.cancel !== "boolean") throw new TypeError("webhook.cancel must be a boolean");
	if (out.cancel) return null;
	if (typeof out.url !== "string") throw new TypeError("webhook.url must be a string");
	const h = out.headers === undefined || out.headers === null ? {} : out.headers;
	if (typeof h !== "object" || Array.isArray(h)) throw new TypeError("webhook.headers must be an object");
	for (const k of Object.keys(h)) {
		if (typeof h[k] !== "string") throw new TypeError("webhook.headers[" + JSON.stringify(k) + "] must be a string");
	}
	const p = JSON.stringify(out.payload);
	if (p === undefined) throw new TypeError("webhook.payload must be a JSON value");
	return [p, JSON.stringify(h), out.url];
})`, true)

type runtime struct {
	vm  *goja.Runtime
	run goja.Callable
}

// newRuntime is a runtime with the prelude and the script's top level run,
// under the bounds.
func (s *Script) newRuntime(ctx context.Context) (*runtime, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(maxCallStack)
	r := &runtime{vm: vm}
	if _, err := vm.RunProgram(prelude); err != nil {
		return nil, fmt.Errorf("prelude: %w", err) // fixed code: a bug, not input
	}
	if _, err := r.guard(ctx, func() (goja.Value, error) { return vm.RunProgram(s.prg) }); err != nil {
		return nil, fmt.Errorf("the top level: %w", err)
	}
	if _, ok := goja.AssertFunction(vm.Get("handler")); !ok {
		return nil, errors.New("the script defines no function handler(webhook)")
	}
	f, err := vm.RunProgram(runner)
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	r.run, _ = goja.AssertFunction(f)
	return r, nil
}

// get takes a slot and an idle runtime of s, or makes one.
func (s *Script) get(ctx context.Context) (*runtime, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("transformation: waiting for a free runtime: %w", ctx.Err())
	}
	select {
	case r := <-s.pool:
		return r, nil
	default:
	}
	r, err := s.newRuntime(ctx)
	if err != nil {
		<-slots
		return nil, fmt.Errorf("transformation: %w", err)
	}
	return r, nil
}

// put gives a runtime back after a run that went well.
func (s *Script) put(r *runtime) {
	select {
	case s.pool <- r:
	default:
	}
	release()
}

// drop forgets a runtime after a failed run: what it holds (a global the
// script grew before the bound stopped it) goes with it.
func (r *runtime) drop() { release() }

func release() { <-slots }

func (r *runtime) call(body, headers, url string) (goja.Value, error) {
	return r.guard(context.Background(), func() (goja.Value, error) {
		return r.run(goja.Undefined(), r.vm.ToValue(body), r.vm.ToValue(headers), r.vm.ToValue(url))
	})
}

var (
	errTimeout = errors.New("stopped: it ran for longer than the limit")
	errMemory  = fmt.Errorf("stopped: it allocated more than %d MiB", MaxAllocBytes>>20)
)

// guard runs f with a watchdog that interrupts the runtime at the time
// bound, at the allocation bound, or when ctx ends.
func (r *runtime) guard(ctx context.Context, f func() (goja.Value, error)) (goja.Value, error) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		metrics.Read(sample)
		start := sample[0].Value.Uint64()
		deadline := time.NewTimer(Timeout)
		defer deadline.Stop()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				r.vm.Interrupt(ctx.Err())
				return
			case <-deadline.C:
				r.vm.Interrupt(errTimeout)
				return
			case <-tick.C:
				if metrics.Read(sample); sample[0].Value.Uint64()-start > MaxAllocBytes {
					r.vm.Interrupt(errMemory)
					return
				}
			}
		}
	}()
	v, err := f()
	close(done)
	<-exited
	r.vm.ClearInterrupt()
	return v, describe(err)
}

// describe is the text a failed run leaves in the attempt log.
func describe(err error) error {
	var ie *goja.InterruptedError
	var ex *goja.Exception
	var so *goja.StackOverflowError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		switch e := ie.Unwrap(); {
		case errors.Is(e, errTimeout):
			return fmt.Errorf("transformation stopped: it ran for longer than %s", Timeout)
		case errors.Is(e, errMemory):
			return fmt.Errorf("transformation %w", e)
		}
		return fmt.Errorf("transformation interrupted: %v", ie.Value())
	case errors.As(err, &so):
		return fmt.Errorf("transformation stopped: call stack deeper than %d", maxCallStack)
	case errors.As(err, &ex):
		return fmt.Errorf("transformation threw: %s", ex.Error())
	}
	return fmt.Errorf("transformation: %w", err)
}

// result reads what the runner returned.
func (r *runtime) result(v goja.Value) (Result, error) {
	if goja.IsNull(v) {
		return Result{Cancelled: true}, nil
	}
	o := v.ToObject(r.vm)
	res := Result{Body: []byte(o.Get("0").String()), URL: o.Get("2").String()}
	if err := json.Unmarshal([]byte(o.Get("1").String()), &res.Headers); err != nil {
		return Result{}, fmt.Errorf("transformation: headers: %w", err)
	}
	return res, nil
}
