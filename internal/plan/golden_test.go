package plan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/groupsync/groupsync/internal/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenCase is the input file format of testdata/*.json. It is more
// compact than Desired, Actual and Policy so that cases stay readable:
//
//   - policy limits are strings parsed with ParseLimit (absent: no limit);
//     create_missing_users defaults to true, as in the config file;
//   - owned records are lists keyed by source_id; target_id defaults to
//     "t-" + source_id (users) or "tg-" + source_id (groups); users are
//     active unless "inactive";
//   - an owned user's hash, when absent, is model.UserHash of the same
//     user in desired.users, i.e. "last written = source"; give any other
//     string (e.g. "old") for a user whose attributes changed.
type goldenCase struct {
	Comment string `json:"comment"`
	Policy  struct {
		Mode               string `json:"mode"`
		NoCreate           bool   `json:"no_create"`
		NoUpdate           bool   `json:"no_update"`
		NoDelete           bool   `json:"no_delete"`
		Deprovision        string `json:"deprovision"`
		CreateAsDisabled   bool   `json:"create_as_disabled"`
		CreateMissingUsers *bool  `json:"create_missing_users"`
		MaxDeletes         string `json:"max_deletes"`
		MaxDeletesPerGroup string `json:"max_deletes_per_group"`
		MaxScopeDrop       string `json:"max_scope_drop"`
		Force              bool   `json:"force"`
	} `json:"policy"`
	Desired struct {
		Rule     string             `json:"rule"`
		Complete bool               `json:"complete"`
		Users    []model.User       `json:"users"`
		Groups   []model.Membership `json:"groups"`
	} `json:"desired"`
	Actual struct {
		LastScope int              `json:"last_scope"`
		Snapshots []model.Snapshot `json:"snapshots"`
		Groups    []goldenOwned    `json:"groups"`
		Users     []goldenOwned    `json:"users"`
	} `json:"actual"`
}

type goldenOwned struct {
	SourceID string `json:"source_id"`
	TargetID string `json:"target_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Inactive bool   `json:"inactive"`
	Hash     string `json:"hash"`
}

// goldenResult is the output format of testdata/*.golden.
type goldenResult struct {
	Error   string         `json:"error,omitempty"`
	Summary *goldenSummary `json:"summary,omitempty"`
	Plan    *model.Plan    `json:"plan,omitempty"`
}

type goldenSummary struct {
	IsHeld  bool `json:"is_held"`
	Changes int  `json:"changes"`
	Deletes int  `json:"deletes"`
}

func loadCase(t *testing.T, path string) (Desired, Actual, Policy) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gc goldenCase
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&gc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	limit := func(s string) Limit {
		l, err := ParseLimit(s)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return l
	}
	gp := gc.Policy
	p := Policy{
		Mode:               Mode(gp.Mode),
		NoCreate:           gp.NoCreate,
		NoUpdate:           gp.NoUpdate,
		NoDelete:           gp.NoDelete,
		Deprovision:        Deprovision(gp.Deprovision),
		CreateAsDisabled:   gp.CreateAsDisabled,
		CreateMissingUsers: gp.CreateMissingUsers == nil || *gp.CreateMissingUsers,
		MaxDeletes:         limit(gp.MaxDeletes),
		MaxDeletesPerGroup: limit(gp.MaxDeletesPerGroup),
		MaxScopeDrop:       limit(gp.MaxScopeDrop),
		Force:              gp.Force,
	}

	rule := gc.Desired.Rule
	if rule == "" {
		rule = "r"
	}
	d := Desired{Rule: rule, Complete: gc.Desired.Complete, Groups: gc.Desired.Groups, Users: map[string]model.User{}}
	for _, u := range gc.Desired.Users {
		d.Users[u.ID] = u
	}

	a := Actual{LastScope: gc.Actual.LastScope, Snapshots: map[string]model.Snapshot{}, Groups: map[string]model.Owned{}, Users: map[string]model.Owned{}}
	for _, s := range gc.Actual.Snapshots {
		s.Rule = rule
		a.Snapshots[s.GroupID] = s
	}
	for _, g := range gc.Actual.Groups {
		if g.TargetID == "" {
			g.TargetID = "tg-" + g.SourceID
		}
		a.Groups[g.SourceID] = model.Owned{Rule: rule, Kind: model.KindGroup, SourceID: g.SourceID, TargetID: g.TargetID, Created: true, Email: g.Email, Name: g.Name, Active: true}
	}
	for _, u := range gc.Actual.Users {
		if u.TargetID == "" {
			u.TargetID = "t-" + u.SourceID
		}
		if u.Hash == "" {
			if du, ok := d.Users[u.SourceID]; ok {
				u.Hash = model.UserHash(du)
			}
		}
		a.Users[u.SourceID] = model.Owned{Rule: rule, Kind: model.KindUser, SourceID: u.SourceID, TargetID: u.TargetID, Created: true, Email: u.Email, Active: !u.Inactive, Hash: u.Hash}
	}
	return d, a, p
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/*.json cases")
	}
	return paths
}

// TestComputeGolden runs every testdata/NAME.json case and compares the
// plan with testdata/NAME.golden. Run with -update to rewrite the golden
// files, then review the diff.
func TestComputeGolden(t *testing.T) {
	for _, path := range goldenCases(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			d, a, p := loadCase(t, path)
			plan, err := Compute(d, a, p)
			var res goldenResult
			if err != nil {
				res.Error = err.Error()
			} else {
				res = goldenResult{
					Summary: &goldenSummary{IsHeld: plan.IsHeld(), Changes: plan.Changes(), Deletes: plan.Deletes()},
					Plan:    &plan,
				}
			}
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Compute(%s) differs from %s (-want +got):\n%s", path, golden, diff)
			}
		})
	}
}
