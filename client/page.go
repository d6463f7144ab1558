package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// ListOptions selects one page of a list.
type ListOptions struct {
	Limit  int    // 1 to 500; 0: the server's default (50)
	Cursor string // a page's NextCursor; "" for the first page
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// Page is one page of a list. NextCursor is "" on the last page.
type Page[T any] struct {
	Data       []T
	NextCursor string
}

type wirePage[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func (p wirePage[T]) page() *Page[T] {
	out := &Page[T]{Data: p.Data}
	if p.NextCursor != nil {
		out.NextCursor = *p.NextCursor
	}
	return out
}

// list reads one page of a list route.
func list[T any](ctx context.Context, c *Client, p string, q url.Values) (*Page[T], error) {
	var w wirePage[T]
	if err := c.do(ctx, call{method: "GET", path: p, query: q, idempotent: true}, &w); err != nil {
		return nil, err
	}
	return w.page(), nil
}

// all walks every page from opts.Cursor on, fetching each as the loop
// reaches it; an error ends the walk (yielded once, with a zero item).
func all[T any](ctx context.Context, opts ListOptions, fetch func(context.Context, ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			p, err := fetch(ctx, opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			opts.Cursor = p.NextCursor
		}
	}
}
