package store

import "time"

// Lease is a key held by one holder until Expires.
type Lease struct {
	Key     string    `json:"key"`
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Held reports whether the lease is held at now.
func (l Lease) Held(now time.Time) bool {
	return l.Holder != "" && now.Before(l.Expires)
}

// Grant decides an acquire: cur is the stored lease (zero when none). The
// key is granted when it is free, expired, or already held by holder (a
// renewal); the holder is part of the check, so a renewal never steals a
// live lease. It returns the lease to store and whether it was granted.
func Grant(cur Lease, key, holder string, now time.Time, ttl time.Duration) (Lease, bool) {
	if cur.Held(now) && cur.Holder != holder {
		return cur, false
	}
	return Lease{Key: key, Holder: holder, Expires: now.Add(ttl)}, true
}

// Releases reports whether holder may release cur: only the holder can.
func Releases(cur Lease, holder string) bool {
	return cur.Holder != "" && cur.Holder == holder
}
