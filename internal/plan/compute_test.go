package plan

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/groupsync/groupsync/internal/model"
)

// TestComputeInvariants checks the safety contracts on every golden case,
// independently of the golden files, so that a wrong -update cannot hide a
// broken contract.
func TestComputeInvariants(t *testing.T) {
	for _, path := range goldenCases(t) {
		t.Run(path, func(t *testing.T) {
			d, a, p := loadCase(t, path)
			plan, err := Compute(d, a, p)
			if err != nil {
				if !strings.Contains(path, "error_") {
					t.Fatalf("Compute: %v", err)
				}
				return
			}
			checkInvariants(t, d, a, p, plan)
		})
	}
}

func checkInvariants(t *testing.T, d Desired, a Actual, p Policy, plan model.Plan) {
	t.Helper()
	desired := map[string]model.Membership{}
	for _, m := range d.Groups {
		desired[m.Group.ID] = m
	}
	created := map[string]bool{}
	for _, u := range plan.CreateUsers {
		if created[u.ID] {
			t.Errorf("user %s is created twice", u.ID)
		}
		created[u.ID] = true
		if _, ok := a.Users[u.ID]; ok {
			t.Errorf("user %s is owned but planned for creation", u.ID)
		}
	}
	if !sort.SliceIsSorted(plan.Groups, func(i, j int) bool {
		ei, ej := model.NormalizeEmail(plan.Groups[i].Email), model.NormalizeEmail(plan.Groups[j].Email)
		return ei < ej || ei == ej && plan.Groups[i].GroupID < plan.Groups[j].GroupID
	}) {
		t.Errorf("groups are not sorted by email then ID")
	}
	anyGroupHeld := false
	for _, g := range plan.Groups {
		m, isDesired := desired[g.GroupID]
		if !isDesired && !d.Complete {
			t.Errorf("group %s is planned but neither desired nor in a complete run", g.GroupID)
		}
		if !slices.IsSorted(g.Add) || !slices.IsSorted(g.Remove) {
			t.Errorf("group %s: Add or Remove not sorted: %v %v", g.GroupID, g.Add, g.Remove)
		}
		if len(g.Remove) > 0 {
			if _, ok := a.Groups[g.GroupID]; !ok {
				t.Errorf("group %s: removals from a group groupsync does not own", g.GroupID)
			}
			if isDesired && m.Incomplete {
				t.Errorf("group %s: removals %v from an incomplete group", g.GroupID, g.Remove)
			}
		}
		for _, id := range g.Remove {
			if _, ok := a.Users[id]; !ok {
				t.Errorf("group %s: removes unowned user %s", g.GroupID, id)
			}
			if !slices.Contains(a.Snapshots[g.GroupID].MemberIDs, id) {
				t.Errorf("group %s: removes %s, which groupsync never added", g.GroupID, id)
			}
		}
		for _, id := range g.Add {
			if _, ok := a.Users[id]; !ok && !created[id] {
				t.Errorf("group %s: adds %s, which is neither owned nor created", g.GroupID, id)
			}
		}
		if (len(g.Add) > 0 || g.UpdateGroup) && g.TargetID == "" && !g.CreateGroup {
			t.Errorf("group %s: changes a group with no target and no create", g.GroupID)
		}
		if isDesired && g.Hash != model.GroupHash(m.Group, m.MemberIDs(), d.Users) {
			t.Errorf("group %s: Hash is not the desired group's hash", g.GroupID)
		}
		anyGroupHeld = anyGroupHeld || len(g.Held) > 0
		switch p.Mode {
		case ModeAddOnly:
			if len(g.Remove) > 0 {
				t.Errorf("add-only: group %s removes %v", g.GroupID, g.Remove)
			}
		case ModeRemoveOnly:
			if len(g.Add) > 0 || g.CreateGroup {
				t.Errorf("remove-only: group %s adds %v or is created", g.GroupID, g.Add)
			}
		}
		if p.NoCreate && g.CreateGroup {
			t.Errorf("no_create: group %s is created", g.GroupID)
		}
		if p.NoUpdate && g.UpdateGroup {
			t.Errorf("no_update: group %s is updated", g.GroupID)
		}
	}
	if anyGroupHeld && len(plan.Held) == 0 {
		t.Errorf("a group is held but Plan.Held is empty")
	}
	for _, r := range append(append([]model.UserRef(nil), plan.DisableUsers...), plan.DeleteUsers...) {
		o, ok := a.Users[r.SourceID]
		if !ok {
			t.Errorf("deprovisions unowned user %s", r.SourceID)
		}
		if r.TargetID != o.TargetID {
			t.Errorf("deprovision %s: target ID %q, want %q", r.SourceID, r.TargetID, o.TargetID)
		}
	}
	for _, r := range plan.DisableUsers {
		if !a.Users[r.SourceID].Active {
			t.Errorf("disables %s, which is already inactive", r.SourceID)
		}
	}
	deprovisions := len(plan.DisableUsers) + len(plan.DeleteUsers)
	if deprovisions > 0 && (!d.Complete || p.Mode == ModeAddOnly || p.NoDelete || p.Deprovision == DeprovisionNone) {
		t.Errorf("deprovisions %d users although complete=%v mode=%q no_delete=%v deprovision=%q",
			deprovisions, d.Complete, p.Mode, p.NoDelete, p.Deprovision)
	}
	for _, m := range d.Groups {
		if m.Incomplete && deprovisions > 0 {
			t.Errorf("deprovisions users although group %s is incomplete", m.Group.ID)
		}
	}
	if p.NoDelete && plan.Deletes() > 0 {
		t.Errorf("no_delete: plan has %d deletions", plan.Deletes())
	}
	if (p.NoCreate || p.Mode == ModeRemoveOnly || !p.CreateMissingUsers) && len(plan.CreateUsers) > 0 {
		t.Errorf("creates users %v although policy forbids it", plan.CreateUsers)
	}
	if p.NoUpdate && len(plan.UpdateUsers) > 0 {
		t.Errorf("no_update: plan updates users %v", plan.UpdateUsers)
	}
	for _, u := range plan.UpdateUsers {
		if u.TargetID != a.Users[u.User.ID].TargetID || u.TargetID == "" {
			t.Errorf("updates user %s with target ID %q, want the owned one", u.User.ID, u.TargetID)
		}
	}
	if p.Force && plan.IsHeld() {
		t.Errorf("forced plan is held: %v", plan.Held)
	}
}

// TestComputeOrderIndependent reverses the order of groups and members of
// every case: the plan must not change.
func TestComputeOrderIndependent(t *testing.T) {
	for _, path := range goldenCases(t) {
		t.Run(path, func(t *testing.T) {
			d, a, p := loadCase(t, path)
			want, wantErr := Compute(d, a, p)

			rev := d
			rev.Groups = nil
			for i := len(d.Groups) - 1; i >= 0; i-- {
				m := d.Groups[i]
				m.Members = slices.Clone(m.Members)
				slices.Reverse(m.Members)
				rev.Groups = append(rev.Groups, m)
			}
			got, gotErr := Compute(rev, a, p)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("Compute(reversed) error = %v, want %v", gotErr, wantErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Compute(reversed) differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComputeDoesNotModifyInputs guards the pure-function contract: the
// engine reuses Desired and Actual after planning.
func TestComputeDoesNotModifyInputs(t *testing.T) {
	for _, path := range goldenCases(t) {
		t.Run(path, func(t *testing.T) {
			d, a, p := loadCase(t, path)
			d2, a2, p2 := loadCase(t, path)
			// Unsorted snapshot members are the likeliest victims.
			for id, s := range a.Snapshots {
				slices.Reverse(s.MemberIDs)
				a.Snapshots[id] = s
				s2 := a2.Snapshots[id]
				slices.Reverse(s2.MemberIDs)
				a2.Snapshots[id] = s2
			}
			Compute(d, a, p)
			if diff := cmp.Diff(d2, d); diff != "" {
				t.Errorf("Compute modified Desired (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(a2, a); diff != "" {
				t.Errorf("Compute modified Actual (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(p2, p); diff != "" {
				t.Errorf("Compute modified Policy (-before +after):\n%s", diff)
			}
		})
	}
}

func TestSourceHash(t *testing.T) {
	base := func() Desired {
		return Desired{
			Rule:     "r",
			Complete: true,
			Users:    map[string]model.User{"u1": {ID: "u1", Email: "ann@x.com"}, "u2": {ID: "u2", Email: "bob@x.com"}},
			Groups: []model.Membership{
				{Group: model.GroupInfo{ID: "g1", Email: "a@x.com"}, Members: []model.Member{{ID: "u1"}}},
				{Group: model.GroupInfo{ID: "g2", Email: "b@x.com"}, Members: []model.Member{{ID: "u1"}, {ID: "u2"}}},
			},
		}
	}
	hash := func(t *testing.T, d Desired, a Actual) string {
		t.Helper()
		p, err := Compute(d, a, Policy{})
		if err != nil {
			t.Fatal(err)
		}
		return p.SourceHash
	}
	want := hash(t, base(), Actual{})

	same := map[string]func(*Desired, *Actual){
		"groups reordered": func(d *Desired, _ *Actual) { slices.Reverse(d.Groups) },
		"members reordered and repeated": func(d *Desired, _ *Actual) {
			d.Groups[1].Members = []model.Member{{ID: "u2"}, {ID: "u1"}, {ID: "u2"}}
		},
		"email case": func(d *Desired, _ *Actual) { d.Groups[0].Group.Email = "A@X.com" },
		"actual state": func(_ *Desired, a *Actual) {
			a.Users = map[string]model.Owned{"u1": {TargetID: "t1", Active: true}}
			a.LastScope = 7
		},
		"user outside every group": func(d *Desired, _ *Actual) { d.Users["u3"] = model.User{ID: "u3", Email: "cy@x.com"} },
	}
	for name, change := range same {
		t.Run(name, func(t *testing.T) {
			d, a := base(), Actual{}
			change(&d, &a)
			if got := hash(t, d, a); got != want {
				t.Errorf("SourceHash = %s, want unchanged %s", got, want)
			}
		})
	}
	differ := map[string]func(*Desired){
		"member added":        func(d *Desired) { d.Groups[0].Members = append(d.Groups[0].Members, model.Member{ID: "u2"}) },
		"member removed":      func(d *Desired) { d.Groups[1].Members = d.Groups[1].Members[:1] },
		"member renamed":      func(d *Desired) { d.Users["u2"] = model.User{ID: "u2", Email: "robert@x.com"} },
		"member suspended":    func(d *Desired) { d.Users["u1"] = model.User{ID: "u1", Email: "ann@x.com", Suspended: true} },
		"group renamed":       func(d *Desired) { d.Groups[0].Group.Name = "A team" },
		"group incomplete":    func(d *Desired) { d.Groups[0].Incomplete = true },
		"group left scope":    func(d *Desired) { d.Groups = d.Groups[:1] },
		"group joined scope":  func(d *Desired) { d.Groups = append(d.Groups, model.Membership{Group: model.GroupInfo{ID: "g3"}}) },
		"membership moved":    func(d *Desired) { d.Groups[0].Members, d.Groups[1].Members = d.Groups[1].Members, d.Groups[0].Members },
		"group email changed": func(d *Desired) { d.Groups[1].Group.Email = "c@x.com" },
	}
	for name, change := range differ {
		t.Run(name, func(t *testing.T) {
			d := base()
			change(&d)
			if got := hash(t, d, Actual{}); got == want {
				t.Errorf("SourceHash unchanged (%s), want a different hash", got)
			}
		})
	}
}

// TestComputeUserCreatedOnce checks that a user needed by many groups is
// created once, and that the plan counts each group's add.
func TestComputeUserCreatedOnce(t *testing.T) {
	d := Desired{Rule: "r", Users: map[string]model.User{"u1": {ID: "u1", Email: "ann@x.com"}}}
	for _, id := range []string{"g3", "g1", "g2"} {
		d.Groups = append(d.Groups, model.Membership{Group: model.GroupInfo{ID: id, Email: id + "@x.com"}, Members: []model.Member{{ID: "u1"}}})
	}
	p, err := Compute(d, Actual{}, Policy{CreateMissingUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.User{{ID: "u1", Email: "ann@x.com"}}, p.CreateUsers); diff != "" {
		t.Errorf("CreateUsers differs (-want +got):\n%s", diff)
	}
	var got []string
	for _, g := range p.Groups {
		got = append(got, g.GroupID+":"+strings.Join(g.Add, ","))
	}
	if want := []string{"g1:u1", "g2:u1", "g3:u1"}; !slices.Equal(got, want) {
		t.Errorf("group adds = %v, want %v", got, want)
	}
}

func TestComputeErrors(t *testing.T) {
	g := func(id string) model.Membership {
		return model.Membership{Group: model.GroupInfo{ID: id, Email: id + "@x.com"}}
	}
	tests := []struct {
		name string
		d    Desired
		p    Policy
		want string
	}{
		{"unknown mode", Desired{}, Policy{Mode: "sync-all"}, `unknown mode "sync-all"`},
		{"mode case matters", Desired{}, Policy{Mode: "Sync"}, `unknown mode "Sync"`},
		{"unknown deprovision", Desired{}, Policy{Deprovision: "suspend"}, `unknown deprovision action "suspend"`},
		{"duplicate group", Desired{Groups: []model.Membership{g("g1"), g("g2"), g("g1")}}, Policy{}, `"g1" appears more than once`},
		{"group without ID", Desired{Groups: []model.Membership{g("")}}, Policy{}, "has no ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.d, Actual{}, tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compute error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	for _, mode := range []Mode{"", ModeSync, ModeAddOnly, ModeRemoveOnly} {
		for _, dep := range []Deprovision{"", DeprovisionDisable, DeprovisionDelete, DeprovisionNone} {
			if _, err := Compute(Desired{}, Actual{}, Policy{Mode: mode, Deprovision: dep}); err != nil {
				t.Errorf("Compute(mode %q, deprovision %q) = %v, want no error", mode, dep, err)
			}
		}
	}
}
