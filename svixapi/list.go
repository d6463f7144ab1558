package svixapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

// maxLimit is Svix's largest page.
const maxLimit = 250

// listResponse is Svix's ListResponse: iterator continues after the last
// item; done says there is nothing after it.
type listResponse[T any] struct {
	Data         []T     `json:"data"`
	Iterator     *string `json:"iterator"`
	PrevIterator *string `json:"prevIterator"`
	Done         bool    `json:"done"`
}

// page reads Svix's limit, iterator and order. Lists come in the store's
// order, so order is checked but changes nothing; iterators run forwards
// only (docs/svix.md). The store is asked for one item more than the
// limit, to know whether another page follows.
func page(r *http.Request) (hookd.Page, error) {
	q := r.URL.Query()
	p := hookd.Page{Limit: 50, Cursor: q.Get("iterator")}
	var v hookd.Validation
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			v.Add("query.limit", "must be a whole number from 1 to %d", maxLimit)
		}
		p.Limit = n
	}
	if o := q.Get("order"); o != "" && o != "ascending" && o != "descending" {
		v.Add("query.order", "must be ascending or descending")
	}
	if strings.HasPrefix(p.Cursor, "-") {
		v.Add("query.iterator", "hookd pages forwards only: give the iterator of the previous answer")
	}
	p.Limit++
	return p, v.Err()
}

// cut drops the extra item a page was read with and returns the iterator
// of the next page (nil when this one is the last).
func cut[T any](items []T, p hookd.Page, id func(T) string) ([]T, *string) {
	if len(items) < p.Limit {
		return items, nil
	}
	items = items[:p.Limit-1]
	next := id(items[len(items)-1])
	return items, &next
}

func listOf[T any](data []T, next *string) listResponse[T] {
	if data == nil {
		data = []T{}
	}
	return listResponse[T]{Data: data, Iterator: next, Done: next == nil}
}
