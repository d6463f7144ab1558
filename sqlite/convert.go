package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/hookd/hookd"
)

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// ms stores a time as unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMs(v.Int64)
	return &t
}

func nullMs(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func scheduleToJSON(s hookd.Schedule) any {
	if s == nil {
		return nil
	}
	steps := make([]int64, len(s))
	for i, d := range s {
		steps[i] = d.Milliseconds()
	}
	b, _ := json.Marshal(steps)
	return string(b)
}

func scheduleFromJSON(v sql.NullString) (hookd.Schedule, error) {
	if !v.Valid {
		return nil, nil
	}
	var steps []int64
	if err := json.Unmarshal([]byte(v.String), &steps); err != nil {
		return nil, fmt.Errorf("retry schedule: %w", err)
	}
	s := make(hookd.Schedule, len(steps))
	for i, m := range steps {
		s[i] = time.Duration(m) * time.Millisecond
	}
	return s, nil
}

func notFound(what, id string) error {
	return hookd.Errorf(hookd.ENOTFOUND, "%s %q not found", what, id)
}
