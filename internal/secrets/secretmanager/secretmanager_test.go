package secretmanager

import (
	"context"
	"hash/crc32"
	"net"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakeServer is an in-process Secret Manager holding payloads by version
// name. Names in errs fail with that code. It counts calls per name.
type fakeServer struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	mu      sync.Mutex
	secrets map[string]string
	errs    map[string]codes.Code
	badCRC  map[string]bool
	calls   map[string]int
}

func (f *fakeServer) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[req.GetName()]++
	if code, ok := f.errs[req.GetName()]; ok {
		return nil, status.Errorf(code, "fake: %s", req.GetName())
	}
	data, ok := f.secrets[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", req.GetName())
	}
	sum := int64(crc32.Checksum([]byte(data), crc32.MakeTable(crc32.Castagnoli)))
	if f.badCRC[req.GetName()] {
		sum++
	}
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    req.GetName(),
		Payload: &secretmanagerpb.SecretPayload{Data: []byte(data), DataCrc32C: proto.Int64(sum)},
	}, nil
}

func (f *fakeServer) set(name, data string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[name] = data
}

func (f *fakeServer) callCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// start serves a fake on a loopback port and returns a real Client
// connected to it.
func start(t *testing.T) (*fakeServer, *Client) {
	t.Helper()
	f, opts := startServer(t)
	c, err := New(t.Context(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return f, c
}

// startServer starts the fake and returns the options that reach it.
func startServer(t *testing.T) (*fakeServer, []option.ClientOption) {
	t.Helper()
	f := &fakeServer{
		secrets: map[string]string{},
		errs:    map[string]codes.Code{},
		badCRC:  map[string]bool{},
		calls:   map[string]int{},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, f)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)

	return f, []option.ClientOption{
		option.WithEndpoint(l.Addr().String()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// Lazy connects on first use and closes cleanly whether or not it did.
func TestLazy(t *testing.T) {
	var unused Lazy
	if err := unused.Close(); err != nil {
		t.Errorf("Close of an unused Lazy: %v", err)
	}
	f, opts := startServer(t)
	f.set(name, payload)
	l := &Lazy{Options: opts}
	for range 2 {
		got, err := l.AccessSecret(t.Context(), name)
		if err != nil || string(got) != payload {
			t.Fatalf("AccessSecret = %q, %v; want %q", got, err, payload)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

const (
	name    = "projects/p/secrets/scim-token/versions/latest"
	payload = "s3cr3t-t0ken-value"
)

func TestAccessSecretCaches(t *testing.T) {
	f, c := start(t)
	f.set(name, payload)
	other := "projects/p/secrets/dwd-key/versions/3"
	f.set(other, "other-payload")
	ctx := t.Context()

	for i := range 3 {
		got, err := c.AccessSecret(ctx, name)
		if err != nil {
			t.Fatalf("AccessSecret #%d: %v", i+1, err)
		}
		if string(got) != payload {
			t.Errorf("AccessSecret #%d = %q, want %q", i+1, got, payload)
		}
		// Callers may scribble on their copy without touching the cache.
		got[0] = 'X'
	}
	if got := f.callCount(name); got != 1 {
		t.Errorf("server saw %d calls for %s, want 1 (cached)", got, name)
	}
	got, err := c.AccessSecret(ctx, other)
	if err != nil {
		t.Fatalf("AccessSecret(other): %v", err)
	}
	if string(got) != "other-payload" || f.callCount(other) != 1 {
		t.Errorf("AccessSecret(other) = %q after %d calls; want %q after 1", got, f.callCount(other), "other-payload")
	}
}

func TestAccessSecretConcurrent(t *testing.T) {
	f, c := start(t)
	f.set(name, payload)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := c.AccessSecret(t.Context(), name)
			if err != nil || string(got) != payload {
				t.Errorf("AccessSecret = %q, %v; want %q", got, err, payload)
			}
		})
	}
	wg.Wait()
}

func TestAccessSecretErrors(t *testing.T) {
	tests := []struct {
		name     string
		code     codes.Code // returned by the fake; OK means "serve the payload"
		badCRC   bool
		wantCode codes.Code
		wantMsg  string
	}{
		{"missing", codes.NotFound, false, codes.NotFound, "not found"},
		{"denied", codes.PermissionDenied, false, codes.PermissionDenied, "roles/secretmanager.secretAccessor"},
		{"disabled", codes.FailedPrecondition, false, codes.FailedPrecondition, "disabled or destroyed"},
		{"corrupt", codes.OK, true, codes.Unknown, "checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t)
			f.set(name, payload)
			if tt.code != codes.OK {
				f.errs[name] = tt.code
			}
			f.badCRC[name] = tt.badCRC
			got, err := c.AccessSecret(t.Context(), name)
			if err == nil {
				t.Fatalf("AccessSecret = %q, want an error", got)
			}
			if status.Code(err) != tt.wantCode {
				t.Errorf("status.Code(err) = %v, want %v (err %v)", status.Code(err), tt.wantCode, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) || !strings.Contains(msg, name) {
				t.Errorf("err = %q, want it to name %s and say %q", msg, name, tt.wantMsg)
			}
			if strings.Contains(msg, payload) {
				t.Errorf("err = %q reveals the payload", msg)
			}
		})
	}
}

// TestAccessSecretRetriesAfterFailure checks that failures are not cached:
// a secret created after a failed read is found on the next read.
func TestAccessSecretRetriesAfterFailure(t *testing.T) {
	f, c := start(t)
	ctx := t.Context()
	if _, err := c.AccessSecret(ctx, name); status.Code(err) != codes.NotFound {
		t.Fatalf("AccessSecret before the secret exists: err = %v, want NotFound", err)
	}
	f.set(name, payload)
	got, err := c.AccessSecret(ctx, name)
	if err != nil {
		t.Fatalf("AccessSecret after creating the secret: %v", err)
	}
	if string(got) != payload {
		t.Errorf("AccessSecret = %q, want %q", got, payload)
	}
	if n := f.callCount(name); n != 2 {
		t.Errorf("server saw %d calls, want 2", n)
	}
}

func TestAccessSecretBadName(t *testing.T) {
	f, c := start(t)
	for _, bad := range []string{
		"",
		"projects/p/secrets/s",
		"secret://projects/p/secrets/s/versions/1",
		"projects//secrets/s/versions/1",
		"projects/p/secrets/s/versions/",
		"projects/p/secrets/s/versions/1/extra",
	} {
		if _, err := c.AccessSecret(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "not a secret version name") {
			t.Errorf("AccessSecret(%q): err = %v, want a bad-name error", bad, err)
		}
	}
	if len(f.calls) != 0 {
		t.Errorf("bad names reached the server: %v", f.calls)
	}
}
