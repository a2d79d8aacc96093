package workspacetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

var (
	givenNames = []string{
		"Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger",
		"Radia", "Donald", "Sophie", "Tim", "Hedy", "John", "Katherine", "Niklaus", "Shafi", "Bjarne",
		"Anita", "Leslie", "Mary", "Robert", "Karen", "Guido", "Jean", "Vint", "Lynn", "Whitfield",
	}
	familyNames = []string{
		"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen",
		"Dijkstra", "Perlman", "Knuth", "Wilson", "Berners-Lee", "Lamarr", "McCarthy", "Johnson", "Wirth",
		"Goldwasser", "Stroustrup", "Borg", "Lamport", "Shaw", "Kahn", "Jones", "Rossum", "Sammet", "Cerf",
		"Conway", "Diffie",
	}
	teams = []string{
		"eng", "sales", "ops", "support", "finance", "marketing", "hr", "legal", "security", "design",
		"data", "product",
	}
	topics = []string{
		"platform", "backend", "frontend", "mobile", "infra", "emea", "amer", "apac", "oncall", "leads",
		"all", "interns", "partners", "reviews", "billing", "growth", "release", "qa", "sre", "ml",
	}
)

// Generate builds a realistic organisation of the given size, the same for
// the same seed: users with names (admin@DOMAIN first, about 3% suspended),
// groups named like eng-backend@ and sales-emea@ of mostly small and some
// large sizes, nested groups (never cyclic: tests add cycles themselves),
// some outside members (always some in the third group), one all-staff
// group whose member is the CUSTOMER, and one empty group.
func Generate(seed uint64, users, groups int) *Org {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const domain = "example.com"
	org := &Org{CustomerID: fmt.Sprintf("C%02x%06x", rng.IntN(256), rng.IntN(1<<24)), Domain: domain}

	idBase := rng.Uint64N(1e12)
	emails := map[string]bool{}
	for i := range users {
		u := &User{ID: fmt.Sprintf("1%08d%012d", idBase%1e8, uint64(i)+idBase)}
		if i == 0 {
			u.GivenName, u.FamilyName, u.PrimaryEmail = "Ada", "Admin", "admin@"+domain
		} else {
			u.GivenName = givenNames[rng.IntN(len(givenNames))]
			u.FamilyName = familyNames[rng.IntN(len(familyNames))]
			base := strings.ToLower(u.GivenName + "." + strings.ReplaceAll(u.FamilyName, "-", ""))
			email := base + "@" + domain
			for n := 2; emails[email]; n++ {
				email = fmt.Sprintf("%s%d@%s", base, n, domain)
			}
			u.PrimaryEmail = email
			u.Suspended = rng.IntN(100) < 3
		}
		emails[u.PrimaryEmail] = true
		org.Users = append(org.Users, u)
	}

	groupIDs := map[string]bool{}
	for i := range groups {
		var name string
		switch {
		case i == 0:
			name = "all-staff"
		case i == 1:
			name = "empty-list"
		default:
			name = teams[rng.IntN(len(teams))] + "-" + topics[rng.IntN(len(topics))]
		}
		email := name + "@" + domain
		for n := 2; emails[email]; n++ {
			email = fmt.Sprintf("%s-%d@%s", name, n, domain)
		}
		emails[email] = true
		id := groupID(rng)
		for groupIDs[id] {
			id = groupID(rng)
		}
		groupIDs[id] = true
		org.Groups = append(org.Groups, &Group{
			ID:          id,
			Email:       email,
			Name:        strings.ReplaceAll(strings.TrimSuffix(email, "@"+domain), "-", " "),
			Description: "Generated group " + fmt.Sprint(i),
		})
	}

	for i, g := range org.Groups {
		switch {
		case i == 0:
			g.Members = append(g.Members, Member{Type: TypeCustomer, Role: RoleMember})
			continue
		case i == 1 || users == 0:
			continue
		}
		var size int
		switch p := rng.IntN(100); {
		case p < 70:
			size = 3 + rng.IntN(28)
		case p < 95:
			size = 30 + rng.IntN(220)
		default:
			size = 250 + rng.IntN(950)
		}
		size = min(size, users)
		seen := map[int]bool{}
		for range size {
			k := rng.IntN(users)
			if seen[k] {
				continue
			}
			seen[k] = true
			role := RoleMember
			switch rng.IntN(20) {
			case 0:
				role = RoleOwner
			case 1:
				role = RoleManager
			}
			g.Members = append(g.Members, Member{ID: org.Users[k].ID, Type: TypeUser, Role: role})
		}
		// Nest only groups that come later, so the generated graph has no
		// cycle.
		if i+1 < len(org.Groups)-1 && rng.IntN(100) < 15 {
			nested := map[int]bool{}
			for range 1 + rng.IntN(3) {
				j := i + 1 + rng.IntN(len(org.Groups)-i-1)
				if j == 1 || nested[j] {
					continue
				}
				nested[j] = true
				g.Members = append(g.Members, Member{ID: org.Groups[j].ID, Type: TypeGroup, Role: RoleMember})
			}
		}
		if i == 2 || rng.IntN(100) < 5 {
			for range 1 + rng.IntN(3) {
				n := rng.IntN(1e6)
				g.Members = append(g.Members, Member{
					ID:    fmt.Sprintf("2%020d", uint64(n)*7919+idBase),
					Email: fmt.Sprintf("guest%d@partner%d.example.net", n, n%7),
					Type:  TypeUser,
					Role:  RoleMember,
				})
			}
		}
	}
	return org
}

// groupID makes an ID shaped like Google's group IDs (0 followed by 14
// base-36 characters).
func groupID(rng *rand.Rand) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := []byte{'0'}
	for range 14 {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return string(b)
}

// AddLargeGroups adds n groups named large-K@DOMAIN of size distinct users
// each, picked with seed: the few very large groups (all of engineering,
// a region) that bound a sync's memory.
func (o *Org) AddLargeGroups(seed uint64, n, size int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	size = min(size, len(o.Users))
	for k := range n {
		g := &Group{
			ID:          groupID(rng),
			Email:       fmt.Sprintf("large-%d@%s", k+1, o.Domain),
			Name:        fmt.Sprintf("large %d", k+1),
			Description: "Generated large group",
		}
		for _, i := range rng.Perm(len(o.Users))[:size] {
			g.Members = append(g.Members, Member{ID: o.Users[i].ID, Type: TypeUser, Role: RoleMember})
		}
		o.Groups = append(o.Groups, g)
	}
}
