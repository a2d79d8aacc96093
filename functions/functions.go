// Package functions holds groupsync's Cloud Functions (gen2) adapters. Its
// init registers, and nothing else in the module registers:
//
//   - Dispatch (CloudEvent, topic groupsync-runs): a run trigger, JSON
//     {"trigger", "rule", "group", "dry_run", "force", "job_id"}, all
//     optional (Cloud Scheduler's "{}" is a scheduled full run whose job ID
//     derives from the message ID), starts or resumes a job; the engine's
//     rule-level steps (gate, users, finish; bodies with a "step" field)
//     run here too.
//   - SyncGroup (CloudEvent, topic groupsync-groups): the engine's
//     per-group steps (read, apply). Applied membership changes and the
//     users a run deprovisioned are published to groupsync-changes.
//   - Sync (HTTP): the operator site and JSON API of internal/httpapi
//     (NewSite). POST publishes a run to groupsync-runs and answers 202
//     {"job_id"}; GET reads jobs; POST ?approve=ID (or the job page's
//     Approve button) re-checks a held job's source and starts its
//     approval. Callers present a Google-signed ID token and must be on
//     the allow-list.
//
// Every finished job logs one "job ended" line (severity from its status),
// publishes a JobEvent to groupsync-jobs and, when GROUPSYNC_WEBHOOK is
// set, posts its summary to that webhook.
//
// Event functions return an error only when a retry can help, so Pub/Sub
// redelivers; anything a retry cannot fix is logged and acknowledged.
//
// Environment:
//
//	GROUPSYNC_CONFIG_YAML      the whole config file (Terraform sets it), else
//	GROUPSYNC_CONFIG           a config file path (default ./groupsync.yaml)
//	GOOGLE_CLOUD_PROJECT       the project of the Pub/Sub topics
//	GROUPSYNC_AUDIENCE         the ID-token audience Sync accepts
//	GROUPSYNC_ALLOWED_CALLERS  comma-separated emails allowed to call Sync
//	GROUPSYNC_SITE_URL         the Sync function's URL, for job links in events
//	GROUPSYNC_WEBHOOK          a secret reference (secret://…) to a chat webhook URL
//	FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST  honoured by the clients
//
// The runtime (config, store, engine, clients) is built on the first call of
// an instance and reused; a failed build is retried on the next call.
package functions

import (
	"cmp"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
)

// Topic names: the contract with terraform/locals.tf. Their prefix is the
// deployment's name_prefix (GROUPSYNC_TOPIC_PREFIX), so two deployments can
// share a project.
var (
	topicRuns    = topicName("runs")
	topicGroups  = topicName("groups")
	topicChanges = topicName("changes")
	topicJobs    = topicName("jobs")
)

func topicName(suffix string) string {
	return cmp.Or(os.Getenv("GROUPSYNC_TOPIC_PREFIX"), "groupsync") + "-" + suffix
}

func init() {
	functions.CloudEvent("Dispatch", dispatch)
	functions.CloudEvent("SyncGroup", syncGroup)
	functions.HTTP("Sync", httpSync)
}
