// Package mapping computes the attributes a rule writes to its target from
// what the source read: rules[].mapping holds one Go text/template per
// attribute (a user's userName, displayName, title, department, costCenter,
// employeeNumber and manager; a group's displayName). The engine maps users
// and groups before it plans, so mapped values are part of the hashes that
// decide what changed: a mapping change updates each affected object once.
package mapping
