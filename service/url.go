package service

import (
	"net/url"

	"github.com/hookd/hookd"
)

// CheckURLText refuses a request URL whose path or query holds text no store
// can keep (hookd.CheckText), before any of it reaches one: such a path
// names nothing (404), such a query parameter is invalid (422). The API
// and the dashboard both apply it.
func CheckURLText(u *url.URL) error {
	var v hookd.Validation
	if !hookd.CheckText(&v, "path", u.Path) {
		return hookd.Errorf(hookd.ENOTFOUND, "no such object: the path holds a NUL byte or invalid UTF-8")
	}
	for name, values := range u.Query() {
		if hookd.CheckText(&v, "query parameter", name) {
			for _, value := range values {
				hookd.CheckText(&v, name, value)
			}
		}
	}
	return v.Err()
}
