package jsonx

import (
	"cmp"
	"math"
	"slices"
)

// Object members go out in JavaScript's property order (array indexes
// first, ascending), and no key may appear twice.

// reordered is an object whose members go out in another order.
type reordered struct {
	start, end int // the object in the first output, braces included
	from, to   int // its members, in JavaScript's order: spans[from:to]
	next       int // the first of moves after this object (set by render)
}

type span struct{ start, end int }

// member is a member of an object being ordered: where it is, and its
// array index if its key is one.
type member struct {
	index uint32
	span
}

// render rewrites out[base:] with the members of every object in p.moves
// in their order. It copies each byte once, however deep the objects that
// move are nested (reordering each object in place would copy a deep one
// once per level).
func (p *parser) render(out []byte, base int) []byte {
	slices.SortFunc(p.moves, func(a, b reordered) int { return cmp.Compare(a.start, b.start) })
	// Link each object to the next one that is not inside it, so the
	// objects of one range are walked without a search each.
	var open []int
	for i := range p.moves {
		for len(open) > 0 && p.moves[open[len(open)-1]].end <= p.moves[i].start {
			p.moves[open[len(open)-1]].next = i
			open = open[:len(open)-1]
		}
		open = append(open, i)
	}
	for _, i := range open {
		p.moves[i].next = len(p.moves)
	}
	first := out[base:]
	rendered := p.renderRange(make([]byte, 0, len(first)), first, 0, len(first), base)
	return append(out[:base], rendered...)
}

// renderRange appends src[a:b] to dst, writing the objects that move in
// their order. Offsets in p.moves are shifted by base from src's.
func (p *parser) renderRange(dst, src []byte, a, b, base int) []byte {
	i, _ := slices.BinarySearchFunc(p.moves, a+base, func(m reordered, at int) int { return cmp.Compare(m.start, at) })
	for ; i < len(p.moves) && p.moves[i].start-base < b; i = p.moves[i].next {
		m := p.moves[i]
		dst = append(append(dst, src[a:m.start-base]...), '{')
		for j, s := range p.spans[m.from:m.to] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = p.renderRange(dst, src, s.start-base, s.end-base, base)
		}
		dst = append(dst, '}')
		a = m.end - base
	}
	return append(dst, src[a:b]...)
}

// arrayIndex reports whether a normalised key literal ("...") is an array
// index as JavaScript defines it: a canonical decimal from 0 to 2^32-2.
func arrayIndex(literal []byte) (uint32, bool) {
	digits := literal[1 : len(literal)-1]
	if len(digits) == 0 || len(digits) > 10 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxUint32-1 {
		return 0, false
	}
	return uint32(n), true
}

// order records an object for render when its members, which run to the
// end of dst, are not in JavaScript's property order: array indexes
// ascending, then the other keys as given. marks holds each member's start
// and key end (see members).
func (p *parser) order(dst []byte, marks []int) {
	end := len(dst)
	indexed, named := p.indexed[:0], p.named[:0]
	inOrder := true
	for i := 0; i < len(marks); i += 2 {
		m := member{span: span{start: marks[i], end: end}}
		if i+2 < len(marks) {
			m.end = marks[i+2] - 1 // before the comma
		}
		var ok bool
		if m.index, ok = arrayIndex(dst[marks[i]:marks[i+1]]); ok {
			inOrder = inOrder && len(named) == 0 && (len(indexed) == 0 || indexed[len(indexed)-1].index < m.index)
			indexed = append(indexed, m)
		} else {
			named = append(named, m)
		}
	}
	p.indexed, p.named = indexed, named
	if inOrder {
		return
	}
	slices.SortFunc(indexed, func(a, b member) int { return cmp.Compare(a.index, b.index) })
	// The object runs from its { to past the } that follows.
	r := reordered{start: marks[0] - 1, end: end + 1, from: len(p.spans)}
	for _, m := range indexed {
		p.spans = append(p.spans, m.span)
	}
	for _, m := range named {
		p.spans = append(p.spans, m.span)
	}
	r.to = len(p.spans)
	p.moves = append(p.moves, r)
}

// keySet finds duplicate keys: a short list scanned for the usual small
// object, a map once an object grows, so a huge one costs linear time.
type keySet struct {
	list [16]string // in place: most objects need no allocation but their keys
	n    int
	set  map[string]struct{}
}

// add records key and reports whether it was there already. key may be
// scratch that changes later: it is copied when kept.
func (k *keySet) add(key []byte) bool {
	if k.set != nil {
		if _, dup := k.set[string(key)]; dup {
			return true
		}
		k.set[string(key)] = struct{}{}
		return false
	}
	for _, have := range k.list[:k.n] {
		if have == string(key) {
			return true
		}
	}
	if k.n < len(k.list) {
		k.list[k.n] = string(key)
		k.n++
		return false
	}
	k.set = make(map[string]struct{}, 4*len(k.list))
	for _, have := range k.list {
		k.set[have] = struct{}{}
	}
	k.set[string(key)] = struct{}{}
	return false
}
