package scim_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/target"
	"github.com/groupsync/groupsync/internal/target/scim/scimtest"
)

// TestIndexedCreatesSendOneRequestEach creates users and groups from a
// worker pool after announcing them: the target reads its existing
// objects once, in pages, and each create is one POST; existing objects
// are taken over, adopted or refused as the filtered lookups would.
func TestIndexedCreatesSendOneRequestEach(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{MaxResults: 50})
	defer srv.Close()
	const n = 300
	// Existing: one carries its source ID (lost ownership record), one is
	// a name clash with upper case in its userName, and 120 strangers.
	ours := srv.AddUser(scimtest.User{UserName: "user0@example.com", ExternalID: "src-0", DisplayName: "U", GivenName: "U", FamilyName: "0", Active: true})
	clash := srv.AddUser(scimtest.User{UserName: "User1@Example.com", DisplayName: "U", GivenName: "U", FamilyName: "1", Active: true})
	for i := range 120 {
		srv.AddUser(scimtest.User{UserName: fmt.Sprintf("stranger%d@example.com", i), DisplayName: "S", GivenName: "S", FamilyName: "S", Active: true})
	}
	oursGroup := srv.AddGroup(scimtest.Group{DisplayName: "g0@example.com", ExternalID: "gsrc-0"})
	tg := newTarget(t, srv, 100)
	tg.ExpectCreates("user", n)
	tg.ExpectCreates("group", 10)

	got := make([]target.Created, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				got[i], errs[i] = tg.CreateUser(t.Context(), testUser(i), target.CreateOptions{Active: true})
			}
		}()
	}
	wg.Wait()
	for i := range 10 {
		g, err := tg.CreateGroup(t.Context(), model.GroupInfo{ID: fmt.Sprintf("gsrc-%d", i), Email: fmt.Sprintf("g%d@example.com", i)}, target.CreateOptions{})
		if err != nil {
			t.Fatalf("CreateGroup(%d): %v", i, err)
		}
		if i == 0 && (g.ID != oursGroup || !g.TakenOver) {
			t.Errorf("CreateGroup(0) = %+v, want the existing %s taken over", g, oursGroup)
		}
	}

	if got[0].ID != ours || !got[0].TakenOver {
		t.Errorf("CreateUser(0) = %+v, want the existing %s taken over", got[0], ours)
	}
	if !errors.Is(errs[1], target.ErrConflict) {
		t.Errorf("CreateUser(1) = %+v, %v; want a conflict with %s", got[1], errs[1], clash)
	}
	for i := 2; i < n; i++ {
		if errs[i] != nil || got[i].ID == "" || got[i].TakenOver || got[i].Adopted {
			t.Fatalf("CreateUser(%d) = %+v, %v; want a new user", i, got[i], errs[i])
		}
	}
	st := tg.Stats()
	// Users: ceil(122/50) = 3 pages; groups: 1 page; one discovery.
	wantGets := 3 + 1 + 1
	if st.Requests["GET"] != wantGets || st.Requests["POST"] != n-2+9 {
		t.Errorf("requests = %v; want %d GETs (list pages, discovery) and %d POSTs", st.Requests, wantGets, n-2+9)
	}

	// The next job reads the target afresh: its index knows the users
	// created above, so creating them again takes them over.
	tg.Reset()
	tg.ExpectCreates("user", 5)
	before := tg.Stats().Requests["GET"]
	for i := 2; i < 7; i++ {
		c, err := tg.CreateUser(t.Context(), testUser(i), target.CreateOptions{Active: true})
		if err != nil || c.ID != got[i].ID || !c.TakenOver {
			t.Errorf("after Reset, CreateUser(%d) = %+v, %v; want %s taken over", i, c, err, got[i].ID)
		}
	}
	// 420 users at 50 a page is 9 pages, under the 10 lookups it saves.
	if n := tg.Stats().Requests["GET"] - before; n != 9 {
		t.Errorf("after Reset, %d GETs; want the 9 list pages", n)
	}
}

// TestIndexDeclinedWhenLookupsAreCheaper: two creates against a large
// target look up one by one rather than page through it.
func TestIndexDeclinedWhenLookupsAreCheaper(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{MaxResults: 10})
	defer srv.Close()
	for i := range 100 {
		srv.AddUser(scimtest.User{UserName: fmt.Sprintf("stranger%d@example.com", i), DisplayName: "S", GivenName: "S", FamilyName: "S", Active: true})
	}
	tg := newTarget(t, srv, 100)
	tg.ExpectCreates("user", 2)
	createUsers(t, tg, 2)
	// Discovery, the first list page (10 pages > 4 lookups: declined),
	// then a userName and an externalId lookup per create.
	if n := tg.Stats().Requests["GET"]; n != 1+1+2*2 {
		t.Errorf("%d GETs; want 6", n)
	}
}

// TestCreateWithoutAnnouncementLooksUp keeps the old path for callers that
// announce nothing: a lookup by userName and by externalId per create.
func TestCreateWithoutAnnouncementLooksUp(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{})
	defer srv.Close()
	tg := newTarget(t, srv, 100)
	createUsers(t, tg, 3)
	if n := tg.Stats().Requests["GET"]; n != 1+3*2 {
		t.Errorf("%d GETs; want discovery and 2 lookups per create (7)", n)
	}
}
