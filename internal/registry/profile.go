package registry

import (
	"slices"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/mapping"
)

// profileNeeds says, by source name, which sources' users some rule maps,
// and the custom schemas its templates read: only those sources read the
// extra user fields (a larger users.list response).
func profileNeeds(f *config.File) map[string][]string {
	out := map[string][]string{}
	for _, r := range f.Rules {
		m, errs := mapping.Compile(r.Mapping)
		if errs != nil || !m.ReadsProfile() {
			continue
		}
		schemas := append(out[r.Source], m.CustomSchemas()...)
		slices.Sort(schemas)
		out[r.Source] = slices.Compact(schemas)
		if out[r.Source] == nil {
			out[r.Source] = []string{}
		}
	}
	return out
}
