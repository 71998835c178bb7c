// Package pgtest gives each test a PostgreSQL schema of its own on the server at DNCSYNC_TEST_PG
// (default postgres://postgres@127.0.0.1:5432/test): created empty for the test and dropped after
// it, so that tests never share tables they would have to truncate. A test is skipped with a clear
// message when no server answers, unless CI=true, where a missing server fails it: CI installs and
// starts one (.ci/postgres).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server this kind of machine runs (trust auth, a "test" database).
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL is the database the tests use: DNCSYNC_TEST_PG, or DefaultURL.
func ServerURL() string {
	if u := os.Getenv("DNCSYNC_TEST_PG"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	once     sync.Once
	reachErr error
)

// reach checks once that the server answers, creating the test database when it is missing (the
// server's own "postgres" database is there on every cluster).
func reach() error {
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, ServerURL())
		if err == nil {
			conn.Close(ctx)
			return
		}
		u, perr := url.Parse(ServerURL())
		if perr != nil {
			reachErr = err
			return
		}
		name := u.Path[1:]
		u.Path = "/postgres"
		admin, aerr := pgx.Connect(ctx, u.String())
		if aerr != nil {
			reachErr = err
			return
		}
		defer admin.Close(ctx)
		if _, cerr := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); cerr != nil {
			reachErr = err
		}
	})
	return reachErr
}

// Schema creates a schema for t (dropped with everything in it when t ends) and returns a URL
// whose connections use it (search_path).
func Schema(t testing.TB) string {
	t.Helper()
	if err := reach(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no PostgreSQL at %s (CI=true: .ci/postgres should have started it): %v", ServerURL(), err)
		}
		t.Skipf("no PostgreSQL at %s (start one, or set DNCSYNC_TEST_PG): %v", ServerURL(), err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, ServerURL())
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return WithSchema(ServerURL(), name)
}

// WithSchema is url with its connections' search_path set to schema.
func WithSchema(raw, schema string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
