// Package emulator starts the Google Cloud emulators (Firestore, Pub/Sub)
// that integration tests run against, once per test binary.
//
// A test calls Firestore(t) or PubSub(t) and gets a host:port. When the
// matching *_EMULATOR_HOST variable is already set, that emulator is reused;
// otherwise the emulator from the local Google Cloud SDK is started on a
// free loopback port. When the SDK component (or Java) is missing the test
// is skipped, unless GROUPSYNC_REQUIRE_EMULATORS=1, which turns the skip into
// a failure so that CI cannot pass by skipping.
//
// Started emulators are shared by every test of the binary and stopped by
// Main (call it from TestMain). On Linux they also die with the test binary,
// so a timed-out test run leaves no JVM behind.
package emulator

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// RequireEnv names the variable that makes a missing emulator fail tests
// instead of skipping them.
const RequireEnv = "GROUPSYNC_REQUIRE_EMULATORS"

// Environment variables the Google Cloud client libraries read.
const (
	FirestoreHostEnv = "FIRESTORE_EMULATOR_HOST"
	PubSubHostEnv    = "PUBSUB_EMULATOR_HOST"
)

// errMissing marks an emulator that is not installed, as opposed to one that
// is installed and failed to start.
var errMissing = errors.New("emulator not installed")

// shared is one emulator process per test binary.
type shared struct {
	once sync.Once
	host string
	proc *process
	err  error
}

var (
	firestoreEmu shared
	pubsubEmu    shared
)

// Firestore returns the host:port of a Firestore emulator, starting one if
// FIRESTORE_EMULATOR_HOST is unset. Give each test its own project ID (or
// reset with ResetFirestore) to isolate data.
func Firestore(t testing.TB) string {
	t.Helper()
	return firestoreEmu.get(t, FirestoreHostEnv, startFirestore)
}

// PubSub returns the host:port of a Pub/Sub emulator, starting one if
// PUBSUB_EMULATOR_HOST is unset. The emulator accepts every project ID.
func PubSub(t testing.TB) string {
	t.Helper()
	return pubsubEmu.get(t, PubSubHostEnv, startPubSub)
}

func (s *shared) get(t testing.TB, env string, start func() (*process, error)) string {
	t.Helper()
	s.once.Do(func() {
		if h := os.Getenv(env); h != "" {
			s.host = h
			return
		}
		s.proc, s.err = start()
		if s.err == nil {
			s.host = s.proc.host
		}
	})
	if s.err != nil {
		if errors.Is(s.err, errMissing) && os.Getenv(RequireEnv) != "1" {
			t.Skipf("skipping: %v (set %s=1 to make this a failure)", s.err, RequireEnv)
		}
		t.Fatal(s.err)
	}
	return s.host
}

// ClientOptions reach an emulator at host through a Google Cloud client
// (Firestore, Pub/Sub) without credentials and without changing the
// process environment.
func ClientOptions(host string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(host),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// Main runs the tests, stops the emulators they started and exits. Use it as
// the body of TestMain:
//
//	func TestMain(m *testing.M) { emulator.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the emulators this binary started. Later calls to Firestore or
// PubSub fail, so call it only after all tests have run.
func Stop() {
	for _, s := range []*shared{&firestoreEmu, &pubsubEmu} {
		// Run the Once so that no test can start an emulator after Stop.
		s.once.Do(func() { s.err = fmt.Errorf("emulator: already stopped") })
		if s.proc != nil {
			s.proc.stop()
		}
	}
}
