// Package dbtest gives each test its own migrated PostgreSQL database, cloned from a
// template that is migrated once per set of migrations. The server is the one named by
// TEST_DATABASE_URL, an administrator's URL (`make test` starts the project's local
// cluster and sets it).
package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"

	"github.com/jusb/portal/db"
)

// URLs are the connection strings of one test database.
type URLs struct {
	// Owner owns the tables and ran the migrations; tests use it to arrange and
	// inspect data behind the portal's back.
	Owner string
	// App and Staff connect as portal_app and portal_staff, as the portal does.
	App, Staff string
}

// New returns a fresh database for t, dropped when t passes.
func New(t testing.TB) URLs {
	t.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set; CI must run the tests with `make test`")
		}
		t.Skip("TEST_DATABASE_URL is not set; run the tests with `make test`")
	}
	conf, err := configFrom(admin)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	inst := pgtestdb.Custom(t, conf, migrator{root: root})
	owner := inst.URL()
	return URLs{Owner: owner, App: asRole(t, owner, "portal_app"),
		Staff: asRole(t, owner, "portal_staff")}
}

// Store returns a db.Store on a fresh database, closed when t ends, with tracer (which
// may be nil) on both pools.
func Store(t testing.TB, tracer pgx.QueryTracer) (*db.Store, URLs) {
	t.Helper()
	urls := New(t)
	return OpenStore(t, urls, tracer), urls
}

// OpenStore opens a db.Store on urls' App and Staff connections, closed when t ends.
func OpenStore(t testing.TB, urls URLs, tracer pgx.QueryTracer) *db.Store {
	t.Helper()
	store, err := db.Open(context.Background(), db.PoolOptions{AppURL: urls.App,
		StaffURL: urls.Staff, MaxConns: 4, Tracer: tracer})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(store.Close)
	return store
}

// Owner opens a connection as the tables' owner, closed when t ends.
func Owner(t testing.TB, urls URLs) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), urls.Owner)
	if err != nil {
		t.Fatalf("connect as owner: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// testRole owns the test databases. Like a production owner it is no superuser; it
// may create roles so that the first migration can create portal_app and portal_staff.
var testRole = pgtestdb.Role{
	Username:     "portal_test_owner",
	Password:     "portal_test_owner",
	Capabilities: "NOSUPERUSER NOCREATEDB CREATEROLE",
}

func configFrom(admin string) (pgtestdb.Config, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return pgtestdb.Config{}, err
	}
	pw, _ := u.User.Password()
	conf := pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   filepath.Base(u.Path),
		Options:    "sslmode=disable",
		TestRole:   &testRole,
		// pgxstore's cleanup and pooled connections may outlive a test by a moment.
		ForceTerminateConnections: true,
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	if conf.Database == "" || conf.Database == "/" || conf.Database == "." {
		conf.Database = "postgres"
	}
	return conf, nil
}

func asRole(t testing.TB, owner, role string) string {
	u, err := url.Parse(owner)
	if err != nil {
		t.Fatalf("parse test database url: %v", err)
	}
	u.User = url.User(role)
	return u.String()
}

// migrator migrates the template database with dbmate, as `make migrate` does.
type migrator struct{ root string }

func (m migrator) Hash() (string, error) {
	return common.HashDirs(os.DirFS(m.root), "*.sql", "db/migrations")
}

func (m migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	bin := filepath.Join(m.root, "node_modules", ".bin", "dbmate")
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("dbmate not installed (run `make tools`): %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "--url", conf.URL(), "--migrations-dir",
		filepath.Join(m.root, "db", "migrations"), "--no-dump-schema", "up")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dbmate up: %w: %s", err, out)
	}
	return nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "sqlc.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dbtest: repository root (with sqlc.yaml) not found")
		}
		dir = parent
	}
}

// Counter is a pgx tracer that counts round trips: every query, and every batch as
// one, except the background work that db.Background marks. It implements
// pgx.QueryTracer and pgx.BatchTracer.
type Counter struct{ n atomic.Int64 }

// TraceQueryStart counts a query.
func (c *Counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn,
	_ pgx.TraceQueryStartData) context.Context {
	if !db.IsBackground(ctx) {
		c.n.Add(1)
	}
	return ctx
}

// TraceQueryEnd does nothing.
func (c *Counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts a batch as one round trip.
func (c *Counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn,
	_ pgx.TraceBatchStartData) context.Context {
	if !db.IsBackground(ctx) {
		c.n.Add(1)
	}
	return ctx
}

// TraceBatchQuery does nothing: the statements of a batch share its round trip.
func (c *Counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd does nothing.
func (c *Counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

// Count returns the round trips since the last Reset.
func (c *Counter) Count() int64 { return c.n.Load() }
