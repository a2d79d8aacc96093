package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/model"
)

func TestCompileErrorsNameTheKey(t *testing.T) {
	_, errs := Compile(Spec{
		User:  UserSpec{Title: "{{.Title}", Department: "{{.Department}}", Manager: "{{nosuchfunc .ID}}"},
		Group: GroupSpec{DisplayName: "{{if}}"},
	})
	var got []string
	for _, err := range errs {
		got = append(got, strings.SplitN(err.Error(), ":", 2)[0])
	}
	want := []string{"user.title", "user.manager", "group.display_name"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys of the errors (-want +got):\n%s\nerrors: %v", diff, errs)
	}
}

func TestCompileFindsCustomSchemas(t *testing.T) {
	m, errs := Compile(Spec{User: UserSpec{
		UserName:   `{{with .Custom.SSO}}{{.username}}{{else}}{{.Email}}{{end}}`,
		CostCenter: `{{default "none" .Custom.Finance.cc | upper}}`,
	}})
	if errs != nil {
		t.Fatal(errs)
	}
	if diff := cmp.Diff([]string{"Finance", "SSO"}, m.CustomSchemas()); diff != "" {
		t.Errorf("custom schemas (-want +got):\n%s", diff)
	}
}

func TestUsersAndGroups(t *testing.T) {
	m, errs := Compile(Spec{
		User: UserSpec{
			UserName:       `{{with .Custom.SSO.username}}{{.}}{{else}}{{.Email}}{{end}}`,
			Title:          `{{.Title}}`,
			Department:     `{{.Department | upper}}`,
			CostCenter:     `{{.CostCenter}}`,
			EmployeeNumber: `{{.EmployeeID}}`,
			Manager:        `{{.ManagerID}}`,
		},
		Group: GroupSpec{DisplayName: `{{trimPrefix "grp-" (localPart .Email)}}`},
	})
	if errs != nil {
		t.Fatal(errs)
	}
	users := map[string]model.User{
		"1": {ID: "1", Email: "ada@example.com", Profile: &model.Profile{
			Title: "CTO", Department: "eng", CostCenter: "cc-1",
			ExternalIDs:  map[string]string{"organization": "E1"},
			ManagerEmail: "Bob@example.com",
			Custom:       map[string]map[string]any{"SSO": {"username": "ada.l"}},
		}},
		"2": {ID: "2", Email: "bob@example.com"},
		"3": {ID: "3", Email: "cy@example.com", Profile: &model.Profile{Title: "x"}},
	}
	targets := map[string]string{"2": "scim-bob"}
	got, err := m.Users(users, func(id string) bool { return id != "3" }, func(id string) string { return targets[id] })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]model.User{
		"1": {ID: "1", Email: "ada@example.com", UserName: "ada.l", Title: "CTO", Department: "ENG",
			CostCenter: "cc-1", EmployeeNumber: "E1", Manager: "scim-bob", Profile: users["1"].Profile},
		"2": {ID: "2", Email: "bob@example.com", UserName: "bob@example.com"},
		"3": users["3"],
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapped users (-want +got):\n%s", diff)
	}
	if users["1"].UserName != "" {
		t.Error("Users changed its input map")
	}

	reads, err := m.Groups([]model.Membership{{Group: model.GroupInfo{ID: "g", Email: "grp-eng@example.com", Name: "Engineering"}}})
	if err != nil {
		t.Fatal(err)
	}
	if g := reads[0].Group; g.DisplayName != "eng" || g.Name != "Engineering" {
		t.Errorf("mapped group: got display %q name %q, want eng and the name unchanged", g.DisplayName, g.Name)
	}
}

func TestEmptySpecMapsNothing(t *testing.T) {
	m, errs := Compile(Spec{})
	if m != nil || errs != nil {
		t.Fatalf("Compile(empty): got %v, %v; want nil, nil", m, errs)
	}
	users := map[string]model.User{"1": {ID: "1", Email: "a@example.com"}}
	got, err := m.Users(users, nil, nil)
	if err != nil || len(got) != 1 || got["1"].UserName != "" {
		t.Errorf("nil mapping: got %v, %v; want the users unchanged", got, err)
	}
}

// A mapped value changes the user's hash; an unmapped user's hash is what
// it was before mappings existed.
func TestMappedValuesChangeTheHash(t *testing.T) {
	u := model.User{ID: "1", Email: "a@example.com", GivenName: "A"}
	before := model.HashStrings("1", "a@example.com", "A", "", "", "0")
	if got := model.UserHash(u); got != before {
		t.Errorf("unmapped hash changed: got %s, want %s", got, before)
	}
	u.Department = "eng"
	if model.UserHash(u) == before {
		t.Error("a mapped department left the hash unchanged")
	}
}
