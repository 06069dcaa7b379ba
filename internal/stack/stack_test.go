package stack

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Tests of the retry loop use short bounds: they only need the loop to
// turn a few times, never a real server.
const (
	testBound = 5 * time.Second
	testEvery = time.Millisecond
)

// refused returns the error pgx gives for a port nobody listens on, the
// error a PostgreSQL still running its init scripts gives too.
func refused(t *testing.T) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	_, err = pgx.Connect(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable")
	var cerr *pgconn.ConnectError
	if !errors.As(err, &cerr) {
		t.Fatalf("expected a connect error from a closed port, got %v", err)
	}
	return err
}

func TestRetryConnectTriesAgainAfterAConnectionError(t *testing.T) {
	refusal := refused(t)
	tries := 0
	err := retryConnect(context.Background(), testBound, testEvery,
		func(context.Context) error {
			if tries++; tries < 3 {
				return refusal
			}
			return nil
		})
	if err != nil || tries != 3 {
		t.Fatalf("expected success at the third try, got %v after %d tries", err, tries)
	}
}

func TestRetryConnectStopsAtOtherErrors(t *testing.T) {
	schema := errors.New("create chat_members: syntax error")
	tries := 0
	err := retryConnect(context.Background(), testBound, testEvery,
		func(context.Context) error { tries++; return schema })
	if !errors.Is(err, schema) || tries != 1 {
		t.Fatalf("expected the schema error after one try, got %v after %d tries",
			err, tries)
	}
}

func TestRetryConnectGivesUpAtTheBound(t *testing.T) {
	refusal := refused(t)
	const bound = 50 * time.Millisecond
	err := retryConnect(context.Background(), bound, testEvery,
		func(context.Context) error { return refusal })
	var cerr *pgconn.ConnectError
	if !errors.As(err, &cerr) || !strings.Contains(err.Error(), "bound 50ms") {
		t.Fatalf("expected the last connect error and the bound, got %v", err)
	}
}

func TestLastBytesKeepsTheEnd(t *testing.T) {
	b := []byte(strings.Repeat("a", tailBytes) + "why")
	got := lastBytes(b)
	if len(got) != tailBytes || !strings.HasSuffix(string(got), "why") {
		t.Fatalf("expected the last %d bytes ending in \"why\", got %d bytes", tailBytes,
			len(got))
	}
}
