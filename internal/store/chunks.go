package store

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/groupsync/groupsync/internal/model"
)

// A plan of a million memberships is over a hundred megabytes of JSON.
// Encoded and committed at once it would be in memory several times over,
// and over Firestore's 10 MiB limit on a commit. So stores keep a plan as
// a head (the HeldPlan without its group plans and users to create) and
// chunks, each written on its own and named by a generation that the head,
// written last, points to: a gate that dies halfway leaves the previous
// plan (or none), and a reader sees one generation.

// PlanChunk is about how many member IDs a chunk of group plans holds:
// some 500 KB of JSON.
const PlanChunk = 20_000

// UsersChunk is how many users to create a chunk holds: about 1 MB.
const UsersChunk = 5_000

// PlanHead is what a stored plan's head holds. Gen is empty for a plan
// stored whole, before plans were chunked.
type PlanHead struct {
	model.HeldPlan
	Gen    string `json:"gen,omitempty"`
	Chunks int    `json:"chunks,omitempty"`
	// UserChunks holds Plan.CreateUsers: a first sync creates every user.
	UserChunks int `json:"user_chunks,omitempty"`
}

// SplitPlan cuts a plan into its head, under a new generation, and chunks.
func SplitPlan(h model.HeldPlan) (PlanHead, [][]model.GroupPlan, [][]model.User, error) {
	var g [8]byte
	if _, err := rand.Read(g[:]); err != nil {
		return PlanHead{}, nil, nil, err
	}
	groups := chunkGroups(h.Plan.Groups)
	users := slices.Collect(slices.Chunk(h.Plan.CreateUsers, UsersChunk))
	head := PlanHead{HeldPlan: h, Gen: hex.EncodeToString(g[:]), Chunks: len(groups), UserChunks: len(users)}
	head.Plan.Groups, head.Plan.CreateUsers = nil, nil
	return head, groups, users, nil
}

// chunkGroups cuts group plans into chunks of about PlanChunk member IDs;
// a group larger than that is a chunk of its own.
func chunkGroups(groups []model.GroupPlan) [][]model.GroupPlan {
	var out [][]model.GroupPlan
	start, size := 0, 0
	for i, g := range groups {
		size += 1 + len(g.Add) + len(g.Remove)
		if size >= PlanChunk || i == len(groups)-1 {
			out = append(out, groups[start:i+1])
			start, size = i+1, 0
		}
	}
	return out
}
