package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// runMessage is the body of a groupsync-runs trigger. Every field is
// optional: Cloud Scheduler publishes "{}".
type runMessage struct {
	Trigger string `json:"trigger,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Group   string `json:"group,omitempty"`
	DryRun  bool   `json:"dry_run,omitempty"`
	Force   bool   `json:"force,omitempty"`
	JobID   string `json:"job_id,omitempty"`
	// Approve, when set, asks for the approval of this held job, under
	// JobID (the Sync function publishes these).
	Approve string `json:"approve,omitempty"`
}

// pubsubMsg is the Pub/Sub message inside a CloudEvent.
type pubsubMsg struct {
	Data       []byte            `json:"data"`
	Attributes map[string]string `json:"attributes"`
	ID         string            `json:"messageId"`
	Published  time.Time         `json:"publishTime"`
}

// pubsubMessage returns the message of a Pub/Sub CloudEvent
// (google.cloud.pubsub.topic.v1.messagePublished).
func pubsubMessage(e cloudevents.Event) (pubsubMsg, error) {
	var body struct {
		Message pubsubMsg `json:"message"`
	}
	if err := json.Unmarshal(e.Data(), &body); err != nil {
		return pubsubMsg{}, fmt.Errorf("event %s: not a Pub/Sub message: %w", e.ID(), err)
	}
	if body.Message.Published.IsZero() {
		body.Message.Published = e.Time()
	}
	return body.Message, nil
}

// pubsubQueue carries the engine's steps: per-group steps on
// groupsync-groups (SyncGroup), the rest on groupsync-runs (Dispatch).
type pubsubQueue struct {
	runs, groups *pubsub.Publisher
}

// Publish implements engine.Queue. It waits until every step is accepted,
// so a step that returns nil has handed on all of its work.
func (q *pubsubQueue) Publish(ctx context.Context, steps ...engine.Step) error {
	var runs, groups []*pubsub.Message
	for _, s := range steps {
		body, encoding, err := encodeStep(s)
		if err != nil {
			return err
		}
		m := &pubsub.Message{Data: body, Attributes: map[string]string{"job_id": s.JobID, "rule": s.Rule, "step": s.Kind}}
		if encoding != "" {
			m.Attributes[attrEncoding] = encoding
		}
		if s.PerGroup() {
			groups = append(groups, m)
		} else {
			runs = append(runs, m)
		}
	}
	for _, t := range []struct {
		p    *pubsub.Publisher
		msgs []*pubsub.Message
	}{{q.runs, runs}, {q.groups, groups}} {
		if len(t.msgs) == 0 {
			continue
		}
		if n, err := publishAll(ctx, t.p, t.msgs); err != nil {
			return fmt.Errorf("%d of %d steps not published: %w: %w", len(t.msgs)-n, len(t.msgs), err, engine.ErrRetry)
		}
	}
	return nil
}

// pubsubEvents publishes change events to groupsync-changes. The
// message's attributes repeat job_id, rule and group_id for subscription
// filters.
type pubsubEvents struct {
	changes *pubsub.Publisher
	*notifier
}

func (p *pubsubEvents) PublishChange(ctx context.Context, ev model.ChangeEvent) error {
	body, err := changeBody(ev)
	if err != nil {
		return err
	}
	_, err = publishAll(ctx, p.changes, []*pubsub.Message{{
		Data:       body,
		Attributes: map[string]string{"job_id": ev.JobID, "rule": ev.Rule, "group_id": ev.GroupID},
	}})
	return err
}

// changeBody is a change event's message body. Its readers parse plain
// JSON, so an event over Pub/Sub's limit (a first sync of a very large
// group, a finish naming 100,000 user changes) is not gzipped but sent
// without its lists, marked truncated: losing the event would hide that
// the group changed at all.
func changeBody(ev model.ChangeEvent) ([]byte, error) {
	body, err := json.Marshal(ev)
	if err != nil || len(body) <= maxMessage {
		return body, err
	}
	ev.Added, ev.Removed, ev.UsersDisabled, ev.UsersDeleted, ev.Users = nil, nil, nil, nil, nil
	ev.Truncated = true
	return json.Marshal(ev)
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
