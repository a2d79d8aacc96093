package scim

import (
	"context"
	"net/http"
	"strings"

	"github.com/groupsync/groupsync/internal/model"
)

// schemaEnterprise is the enterprise user extension (RFC 7643 §4.3).
const schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// enterpriseUser is the extension's part of a user that groupsync maps.
type enterpriseUser struct {
	EmployeeNumber string      `json:"employeeNumber,omitempty"`
	CostCenter     string      `json:"costCenter,omitempty"`
	Department     string      `json:"department,omitempty"`
	Manager        *managerRef `json:"manager,omitempty"`
}

type managerRef struct {
	Value string `json:"value"`
}

// mappedUser is a user with the attributes rules[].mapping sets.
type mappedUser struct {
	user
	Title      string          `json:"title,omitempty"`
	Enterprise *enterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
}

// userName is the userName groupsync writes: the mapped one, else the
// primary email.
func userName(u model.User) string {
	if n := strings.TrimSpace(u.UserName); n != "" {
		return n
	}
	return strings.TrimSpace(u.Email)
}

func enterpriseOf(u model.User) *enterpriseUser {
	e := &enterpriseUser{EmployeeNumber: u.EmployeeNumber, CostCenter: u.CostCenter, Department: u.Department}
	if u.Manager != "" {
		e.Manager = &managerRef{Value: u.Manager}
	}
	if *e == (enterpriseUser{}) {
		return nil
	}
	return e
}

// userBody is the POST body of u: the core user, plus the title and, where
// the server advertises the enterprise extension, its attributes.
func (t *Target) userBody(ctx context.Context, u model.User, active bool) any {
	p := userPayload(u, active)
	ent := enterpriseOf(u)
	if ent != nil && !t.enterprise(ctx) {
		ent = nil
	}
	if u.Title == "" && ent == nil {
		return p
	}
	if ent != nil {
		p.Schemas = append(p.Schemas, schemaEnterprise)
	}
	return mappedUser{user: p, Title: u.Title, Enterprise: ent}
}

// mappedOps are the PATCH operations and PUT edits of the mapped
// attributes that are set. An attribute the mapping no longer sets is left
// as the target has it.
func (t *Target) mappedOps(ctx context.Context, u model.User) ([]patchOp, func(map[string]any)) {
	var ops []patchOp
	if u.Title != "" {
		ops = append(ops, patchOp{Op: "replace", Path: "title", Value: u.Title})
	}
	ent := enterpriseOf(u)
	if ent != nil && !t.enterprise(ctx) {
		ent = nil
	}
	if ent != nil {
		for _, a := range []struct {
			path string
			v    any
		}{
			{"employeeNumber", ent.EmployeeNumber}, {"costCenter", ent.CostCenter},
			{"department", ent.Department}, {"manager", ent.Manager},
		} {
			if a.v != "" && a.v != (*managerRef)(nil) {
				ops = append(ops, patchOp{Op: "replace", Path: schemaEnterprise + ":" + a.path, Value: a.v})
			}
		}
	}
	put := func(r map[string]any) {
		if u.Title != "" {
			r["title"] = u.Title
		}
		if ent == nil {
			return
		}
		ext, _ := r[schemaEnterprise].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
		}
		for k, v := range map[string]string{"employeeNumber": ent.EmployeeNumber, "costCenter": ent.CostCenter, "department": ent.Department} {
			if v != "" {
				ext[k] = v
			}
		}
		if ent.Manager != nil {
			ext["manager"] = map[string]any{"value": ent.Manager.Value}
		}
		r[schemaEnterprise] = ext
		schemas, _ := r["schemas"].([]any)
		for _, s := range schemas {
			if s == schemaEnterprise {
				return
			}
		}
		r["schemas"] = append(schemas, schemaEnterprise)
	}
	return ops, put
}

// resourceTypes is the part of GET /ResourceTypes groupsync reads.
type resourceTypes struct {
	Resources []struct {
		Name             string `json:"name"`
		Endpoint         string `json:"endpoint"`
		SchemaExtensions []struct {
			Schema string `json:"schema"`
		} `json:"schemaExtensions"`
	} `json:"Resources"`
}

// enterprise reports whether the server advertises the enterprise user
// extension on its User resource type. It asks once, and only when a
// mapping sets an enterprise attribute; a server that cannot answer gets
// no extension (strict servers reject unknown schemas).
func (t *Target) enterprise(ctx context.Context) bool {
	t.enterpriseOnce.Do(func() {
		resp, err := t.do(ctx, request{method: http.MethodGet, path: "/ResourceTypes"})
		var rt resourceTypes
		if err == nil {
			err = decode(resp, &rt)
		}
		if err != nil {
			t.logger.WarnContext(ctx, "cannot read ResourceTypes; enterprise attributes are not sent", "err", err.Error())
			return
		}
		for _, r := range rt.Resources {
			if r.Name != "User" && r.Endpoint != "/Users" {
				continue
			}
			for _, x := range r.SchemaExtensions {
				if x.Schema == schemaEnterprise {
					t.hasEnterprise = true
				}
			}
		}
		if !t.hasEnterprise {
			t.logger.WarnContext(ctx, "the server does not advertise the enterprise user extension; enterprise attributes are not sent")
		}
	})
	return t.hasEnterprise
}
