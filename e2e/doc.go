// Package e2e holds end-to-end tests of hookd: they build the real binary,
// run `hookd serve` as a child process on 127.0.0.1, drive its HTTP API and
// check what real receivers (httptest servers) get. The package has no
// non-test code besides this comment; everything lives in *_test.go files.
package e2e
