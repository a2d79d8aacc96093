package mapping

// Spec is rules[].mapping as the config file spells it. Empty fields keep
// the target's default for the attribute.
type Spec struct {
	User  UserSpec  `yaml:"user"`
	Group GroupSpec `yaml:"group"`
}

// UserSpec holds the user templates. Their data is a User.
type UserSpec struct {
	UserName       string `yaml:"user_name" doc:"the SCIM userName (default: the primary email)"`
	DisplayName    string `yaml:"display_name" doc:"the displayName (default: the full name)"`
	Title          string `yaml:"title" doc:"the core title attribute"`
	Department     string `yaml:"department" doc:"enterprise extension department"`
	CostCenter     string `yaml:"cost_center" doc:"enterprise extension costCenter"`
	EmployeeNumber string `yaml:"employee_number" doc:"enterprise extension employeeNumber"`
	Manager        string `yaml:"manager" doc:"the manager's source user ID (enterprise extension manager)"`
}

// GroupSpec holds the group templates. Their data is a Group.
type GroupSpec struct {
	DisplayName string `yaml:"display_name" doc:"the group's displayName (default: its email)"`
}

// Empty reports whether the spec maps nothing.
func (s Spec) Empty() bool { return s == Spec{} }

// fields lists the user templates with their config keys.
func (s UserSpec) fields() []struct{ key, text string } {
	return []struct{ key, text string }{
		{"user_name", s.UserName},
		{"display_name", s.DisplayName},
		{"title", s.Title},
		{"department", s.Department},
		{"cost_center", s.CostCenter},
		{"employee_number", s.EmployeeNumber},
		{"manager", s.Manager},
	}
}
