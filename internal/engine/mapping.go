package engine

import (
	"fmt"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
	"github.com/groupsync/groupsync/internal/plan"
)

// mapRule applies the rule's mapping before planning, so the mapped values
// are what the user and group hashes cover: a mapping change is a change,
// and each affected object is updated once. Only the users this plan can
// write (members of the groups read, and the rule's owned users) are
// mapped.
func mapRule(r config.RunRule, users map[string]model.User, reads []model.Membership, actual plan.Actual) (map[string]model.User, []model.Membership, error) {
	if r.Mapping == nil {
		return users, reads, nil
	}
	writable := make(map[string]bool, len(actual.Users))
	for id := range actual.Users {
		writable[id] = true
	}
	for _, m := range reads {
		for _, mem := range m.Members {
			writable[mem.ID] = true
		}
	}
	targetID := func(sourceID string) string { return actual.Users[sourceID].TargetID }
	mapped, err := r.Mapping.Users(users, func(id string) bool { return writable[id] }, targetID)
	if err != nil {
		return nil, nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	reads, err = r.Mapping.Groups(reads)
	if err != nil {
		return nil, nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	return mapped, reads, nil
}
