package transform

import (
	"sync"
)

// The dispatcher looks a job's script up on every attempt; compiling (and
// the first runtime) costs far more than a run, so scripts are kept by
// tenant and source: a new version of a transformation is a new key, an
// unchanged one is compiled once. The tenant is part of the key because a
// script's runtimes are reused and keep its globals: two tenants with the
// same source never share one. At most maxCached scripts of up to
// MaxScriptBytes, each with up to poolSize idle runtimes of about 60 KB.
const maxCached = 500

type key struct{ tenant, src string }

type entry struct {
	once sync.Once
	s    *Script
	err  error
}

var cache struct {
	sync.Mutex
	m map[key]*entry
}

// Stored returns the compiled script of a stored transformation, or why it
// does not compile (a stored one was checked when set; a newer engine
// might refuse it): deliveries through it then fail with that error.
func Stored(tenantID, src string) (*Script, error) {
	k := key{tenantID, src}
	cache.Lock()
	e := cache.m[k]
	if e == nil {
		if cache.m == nil || len(cache.m) >= maxCached {
			cache.m = map[key]*entry{}
		}
		e = &entry{}
		cache.m[k] = e
	}
	cache.Unlock()
	// Compiling runs the top level, up to the time bound: outside the lock.
	e.once.Do(func() { e.s, e.err = Compile(src) })
	return e.s, e.err
}
