package workspacetest

// SmallOrg is a fixed six-user organisation for tests that need a known
// answer: eng@ holds ada, bob and the nested eng-core@ (cy), and sales@
// holds dee and eve. admin@ (ID 100) is the admin subject.
func SmallOrg() *Org {
	u := func(id, given string) *User {
		return &User{ID: id, PrimaryEmail: given + "@example.com", GivenName: given, FamilyName: "Test"}
	}
	um := func(id string) Member {
		return Member{ID: id, Type: TypeUser, Role: RoleMember}
	}
	return &Org{
		CustomerID: "C0test",
		Domain:     "example.com",
		Users: []*User{
			u("100", "admin"), u("101", "ada"), u("102", "bob"), u("103", "cy"), u("104", "dee"), u("105", "eve"),
		},
		Groups: []*Group{
			{ID: "g1", Email: "eng@example.com", Name: "eng", Members: []Member{
				um("101"), um("102"), {ID: "g2", Type: TypeGroup, Role: RoleMember},
			}},
			{ID: "g2", Email: "eng-core@example.com", Name: "eng core", Members: []Member{um("103")}},
			{ID: "g3", Email: "sales@example.com", Name: "sales", Members: []Member{um("104"), um("105")}},
		},
	}
}
