package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// runMessage is the body of a groupsync-runs message. Every field is
// optional: Cloud Scheduler publishes "{}".
type runMessage struct {
	Trigger string `json:"trigger,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Group   string `json:"group,omitempty"`
	DryRun  bool   `json:"dry_run,omitempty"`
	Force   bool   `json:"force,omitempty"`
	JobID   string `json:"job_id,omitempty"`
}

// ChangeEvent is the body of a groupsync-changes message: the membership
// changes one group received in one job. User IDs are the source's
// immutable IDs. The message's attributes repeat job_id, rule and group_id
// for subscription filters.
type ChangeEvent struct {
	JobID      string    `json:"job_id"`
	Rule       string    `json:"rule"`
	GroupID    string    `json:"group_id"`
	GroupEmail string    `json:"group_email"`
	Status     string    `json:"status"`
	Added      []string  `json:"added,omitempty"`
	Removed    []string  `json:"removed,omitempty"`
	Time       time.Time `json:"time"`
}

// pubsubData returns the payload of a Pub/Sub CloudEvent
// (google.cloud.pubsub.topic.v1.messagePublished) and its message ID.
func pubsubData(e cloudevents.Event) (data []byte, id string, err error) {
	var body struct {
		Message struct {
			Data []byte `json:"data"`
			ID   string `json:"messageId"`
		} `json:"message"`
	}
	if err := json.Unmarshal(e.Data(), &body); err != nil {
		return nil, "", fmt.Errorf("event %s: not a Pub/Sub message: %w", e.ID(), err)
	}
	return body.Message.Data, body.Message.ID, nil
}

// publishAll publishes every message and waits for all of them. It returns
// how many were published and the first error.
func publishAll(ctx context.Context, p *pubsub.Publisher, msgs []*pubsub.Message) (int, error) {
	results := make([]*pubsub.PublishResult, len(msgs))
	for i, m := range msgs {
		results[i] = p.Publish(ctx, m)
	}
	var first error
	n := 0
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		n++
	}
	return n, first
}
