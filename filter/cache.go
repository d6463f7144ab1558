package filter

import (
	"log/slog"
	"sync"

	"github.com/hookd/hookd"
)

// The stores read endpoints' filters with every publish; compiling costs far
// more than evaluating, so programs are kept by source: a new version of an
// endpoint's filter is a new key, an unchanged one is compiled once.
const maxCached = 10_000

var cache struct {
	sync.Mutex
	m map[string]hookd.Filterer
}

// Stored returns the program of a stored filter. A stored filter was checked
// when set, so one that no longer compiles (a newer CEL) is logged and
// matches nothing rather than failing every publish of its tenant.
func Stored(src string) hookd.Filterer {
	cache.Lock()
	defer cache.Unlock()
	if f, ok := cache.m[src]; ok {
		return f
	}
	var f hookd.Filterer
	p, err := Compile(src)
	if err != nil {
		slog.Error("stored content filter does not compile: no deliveries through it", "filter", src, "err", err)
		f = rejectAll{}
	} else {
		f = p
	}
	if cache.m == nil || len(cache.m) >= maxCached {
		cache.m = map[string]hookd.Filterer{}
	}
	cache.m[src] = f
	return f
}

type rejectAll struct{}

func (rejectAll) Match(*hookd.FilterEvent) bool { evalErrors.Add(1); return false }
