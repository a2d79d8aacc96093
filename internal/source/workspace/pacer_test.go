package workspace_test

import (
	"context"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/source/workspace"
)

func TestPacerAIMD(t *testing.T) {
	ctx := context.Background()
	// A ceiling so high that Wait never sleeps and the cooldown between
	// cuts is 32 calls at it: under a microsecond.
	const c = 4096 << 24
	p := workspace.NewPacer(c)
	wait := func() workspace.Ticket {
		t.Helper()
		tk, err := p.Wait(ctx)
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		return tk
	}
	// Two calls in flight when the quota refuses both: one cut, not two.
	a, b := wait(), wait()
	p.Throttled(a, 0)
	p.Throttled(b, 0)
	if got := p.Stats(); got.QPM != c/2 || got.Throttles != 1 {
		t.Fatalf("after one wave of refusals: %+v, want QPM %d after 1 cut", got, c/2)
	}
	// A call paced after the cut that is refused again cuts again.
	time.Sleep(time.Millisecond)
	p.Throttled(wait(), 0)
	if got := p.Stats().QPM; got != c/4 {
		t.Fatalf("after a second wave: QPM %v, want %d", got, c/4)
	}
	// Recovery is additive: ceiling/4096 a call.
	for range 10 {
		p.Accepted(wait())
	}
	if got, want := p.Stats().QPM, float64(c/4+10*c/4096); got != want {
		t.Fatalf("after 10 accepted calls: QPM %v, want %v", got, want)
	}
	// Never below ceiling/64.
	for range 20 {
		time.Sleep(time.Millisecond)
		p.Throttled(wait(), 0)
	}
	if got := p.Stats().QPM; got != c/64 {
		t.Fatalf("after 20 cuts: QPM %v, want the floor %d", got, c/64)
	}
	// Never above the ceiling.
	q := workspace.NewPacer(4096)
	for range 100 {
		q.Accepted(workspace.Ticket{})
	}
	if got := q.Stats(); got.QPM != 4096 || got.CeilingQPM != 4096 {
		t.Fatalf("accepted calls at the ceiling: %+v, want QPM 4096", got)
	}
}

// TestPacerCooldown: refusals right after a cut, even of calls paced after
// it, do not cut again; at 2,400 a minute the cooldown is 0.8s.
func TestPacerCooldown(t *testing.T) {
	p := workspace.NewPacer(2400)
	for range 5 {
		tk, err := p.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p.Throttled(tk, 0)
	}
	if got := p.Stats(); got.Throttles != 1 || got.QPM != 1200 {
		t.Errorf("five refusals within the cooldown: %+v, want one cut to 1200", got)
	}
}

func TestPacerRetryAfterHoldsEveryCaller(t *testing.T) {
	p := workspace.NewPacer(6_000_000)
	tk, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Throttled(tk, 150*time.Millisecond)
	start := time.Now()
	if _, err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("next call waited %v after a Retry-After of 150ms", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	p.Throttled(tk, time.Second)
	if _, err := p.Wait(ctx); err == nil {
		t.Error("Wait returned before the Retry-After although its context ended first")
	}
}

func TestSharedPacer(t *testing.T) {
	a := workspace.SharedPacer("https://api.test/", "admin@a.example", 2400)
	if b := workspace.SharedPacer("https://api.test/", "admin@a.example", 1200); b != a {
		t.Fatal("the same API and subject got two pacers")
	}
	if got := a.Stats().CeilingQPM; got != 1200 {
		t.Errorf("ceiling after a stricter caller: %v, want 1200", got)
	}
	if workspace.SharedPacer("https://api.test/", "admin@b.example", 2400) == a {
		t.Error("another admin subject shares the pacer; its quota is its own")
	}
	if workspace.SharedPacer("https://other.test/", "admin@a.example", 2400) == a {
		t.Error("another API shares the pacer")
	}
}
