package tfcheck

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// literalText joins the literal parts of an expression, for checks on
// string templates (filters).
func literalText(e hclsyntax.Expression) string {
	return strings.Join(stringLiterals(e), "")
}

// TestDeploymentAlertsOnJobsAndDeadLetters: the "job ended" log line is
// counted by status, held, failed and partial jobs and dead letters each
// have an alert policy, and every policy notifies the channels made from
// var.alert_emails.
func TestDeploymentAlertsOnJobsAndDeadLetters(t *testing.T) {
	c := loadDeployment(t)
	metrics := c.Resources("google_logging_metric")
	if len(metrics) != 1 {
		t.Fatalf("got %d google_logging_metric, want the jobs_ended metric", len(metrics))
	}
	m := metrics[0]
	if f := literalText(m.Body.Attributes["filter"].Expr); !strings.Contains(f, `jsonPayload.message="job ended"`) {
		t.Errorf("%s filter %q does not select the engine's \"job ended\" line", m.Addr(), f)
	}
	if le, ok := m.Body.Attributes["label_extractors"]; !ok || !strings.Contains(literalText(le.Expr), "jsonPayload.status") {
		t.Errorf("%s does not extract the job status into a label", m.Addr())
	}

	channels := c.Resources("google_monitoring_notification_channel")
	if len(channels) == 0 {
		t.Fatal("no google_monitoring_notification_channel")
	}
	for _, ch := range channels {
		fe, ok := ch.Body.Attributes["for_each"]
		if !ok || len(fe.Expr.Variables()) != 1 || attrName(fe.Expr.Variables()[0], 1) != "alert_emails" {
			t.Errorf("%s: notification channels must come from var.alert_emails", ch.Addr())
		}
	}

	policies := c.Resources("google_monitoring_alert_policy")
	covered := map[string]bool{}
	for _, p := range policies {
		nc, ok := p.Body.Attributes["notification_channels"]
		if !ok {
			t.Errorf("%s has no notification_channels", p.Addr())
			continue
		}
		if !refersToLocal(nc.Expr, "alert_channels") && !refersTo(nc.Expr, "google_monitoring_notification_channel", "email") {
			t.Errorf("%s does not notify the alert_emails channels", p.Addr())
		}
		var filters string
		for _, cond := range nestedBlocks(p.Body, "conditions") {
			for _, th := range nestedBlocks(cond.Body, "condition_threshold") {
				filters += literalText(th.Body.Attributes["filter"].Expr)
			}
		}
		if strings.Contains(filters, "send_message_operation_count") {
			covered["dead letter"] = true
		}
		if strings.Contains(filters, "logging.googleapis.com/user/") {
			// One policy per status of the job_alerts local.
			if fe, ok := p.Body.Attributes["for_each"]; ok && refersToLocal(fe.Expr, "job_alerts") {
				for k := range localObjectKeys(t, c, "job_alerts") {
					covered[k] = true
				}
			}
		}
	}
	for _, want := range []string{"held", "failed", "partial", "dead letter"} {
		if !covered[want] {
			t.Errorf("no alert policy for %s", want)
		}
	}
}

func refersToLocal(e hclsyntax.Expression, name string) bool {
	for _, v := range e.Variables() {
		if v.RootName() == "local" && attrName(v, 1) == name {
			return true
		}
	}
	return false
}

func localObjectKeys(t *testing.T, c *Config, name string) map[string]bool {
	t.Helper()
	a, ok := c.Locals()[name]
	if !ok {
		t.Fatalf("no local %s", name)
	}
	obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Fatalf("local %s is not an object", name)
	}
	keys := map[string]bool{}
	for _, it := range obj.Items {
		v, diags := it.KeyExpr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("local %s: key: %v", name, diags)
		}
		keys[v.AsString()] = true
	}
	return keys
}
