// Package pgtest gives tests their own PostgreSQL database on the server
// that HOOKD_TEST_POSTGRES names, and skips them when it names none.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the server, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvVar = "HOOKD_TEST_POSTGRES"

// Database creates a fresh database for the test (dropped when it ends)
// and returns its URL. Without HOOKD_TEST_POSTGRES it skips the test.
func Database(t testing.TB, server string) string {
	t.Helper()
	if server == "" {
		t.Skip(EnvVar + " is not set: skipping the PostgreSQL tests (e.g. " + EnvVar +
			"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable; .ci/run sets it)")
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "hookd_test_" + hex.EncodeToString(b[:])
	admin := func(sql string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Fatalf("connect to %s: %v", EnvVar, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	admin("CREATE DATABASE " + name)
	t.Cleanup(func() { admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// Truncate empties every table of dbURL's public schema but the migration
// version table, for tests that need many empty stores on one schema.
func Truncate(t testing.TB, dbURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var tables string
	if err := conn.QueryRow(ctx, `SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables
		WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&tables); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if _, err := conn.Exec(ctx, "TRUNCATE "+tables+" RESTART IDENTITY CASCADE"); err != nil {
		t.Fatalf("truncate: %v", err)
	}
}
