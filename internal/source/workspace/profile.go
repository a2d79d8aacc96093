package workspace

import (
	"encoding/json"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	"github.com/groupsync/groupsync/internal/model"
)

// profileFields is what users.list returns for mapping templates beyond
// usersFields: the organizations, externalIds and relations, and the
// custom schemas when the templates read any.
const profileFields = "kind,nextPageToken,users(id,primaryEmail,name(givenName,familyName,fullName),suspended,archived," +
	"organizations(name,title,department,costCenter,primary),externalIds(type,customType,value),relations(type,value)"

// profileCall asks for the profile fields, with projection=custom and the
// schemas the mapping reads (customFieldMask) when it reads any.
func (s *Source) profileCall(call *admin.UsersListCall) *admin.UsersListCall {
	fields := profileFields
	if len(s.cfg.CustomSchemas) > 0 {
		fields += ",customSchemas"
		call = call.Projection("custom").CustomFieldMask(strings.Join(s.cfg.CustomSchemas, ","))
	}
	return call.Fields(googleapi.Field(fields + ")"))
}

// profile reads a user's mapping inputs. The Directory API declares
// organizations, externalIds and relations as untyped JSON.
func profile(u *admin.User) *model.Profile {
	p := &model.Profile{}
	var orgs []admin.UserOrganization
	if decodeAny(u.Organizations, &orgs) {
		for i, o := range orgs {
			if o.Primary || i == 0 {
				p.Organization, p.Title, p.Department, p.CostCenter = o.Name, o.Title, o.Department, o.CostCenter
			}
			if o.Primary {
				break
			}
		}
	}
	var ids []admin.UserExternalId
	if decodeAny(u.ExternalIds, &ids) {
		for _, x := range ids {
			typ := x.Type
			if typ == "custom" {
				typ = x.CustomType
			}
			if p.ExternalIDs == nil {
				p.ExternalIDs = map[string]string{}
			}
			if _, seen := p.ExternalIDs[typ]; !seen {
				p.ExternalIDs[typ] = x.Value
			}
		}
	}
	var rels []admin.UserRelation
	if decodeAny(u.Relations, &rels) {
		for _, r := range rels {
			if r.Type == "manager" {
				p.ManagerEmail = r.Value
				break
			}
		}
	}
	for schema, raw := range u.CustomSchemas {
		var fields map[string]any
		if json.Unmarshal(raw, &fields) == nil {
			if p.Custom == nil {
				p.Custom = map[string]map[string]any{}
			}
			p.Custom[schema] = fields
		}
	}
	return p
}

// decodeAny turns one of the API's interface{} fields into into, through
// JSON; it reports whether there was anything to decode.
func decodeAny(v any, into any) bool {
	if v == nil {
		return false
	}
	b, err := json.Marshal(v)
	return err == nil && json.Unmarshal(b, into) == nil
}
