package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/groupsync/groupsync/internal/config"
	"github.com/groupsync/groupsync/internal/model"
)

// JobEvent is the body of a groupsync-jobs message: one finished job, for
// alerting and chat. It names no user and carries no secret.
type JobEvent struct {
	JobID     string       `json:"job_id"`
	Status    string       `json:"status"`
	Trigger   string       `json:"trigger"`
	ApproveOf string       `json:"approve_of,omitempty"`
	DryRun    bool         `json:"dry_run,omitempty"`
	Counts    model.Counts `json:"counts"`
	Held      []string     `json:"held,omitempty"`
	Errors    []string     `json:"errors,omitempty"`
	// URL is the job's page on the operator site, when the site's URL is
	// configured.
	URL      string    `json:"url,omitempty"`
	Finished time.Time `json:"finished"`
}

// maxEventErrors bounds the errors an event repeats; the page has all.
const maxEventErrors = 5

func jobEvent(j model.Job, site string) JobEvent {
	ev := JobEvent{
		JobID: j.ID, Status: j.Status, Trigger: j.Trigger, ApproveOf: j.ApproveOf, DryRun: j.DryRun,
		Counts: j.Counts, Held: j.Held, Errors: j.Errors, Finished: j.Finished.UTC(),
	}
	if len(ev.Errors) > maxEventErrors {
		ev.Errors = append(ev.Errors[:maxEventErrors:maxEventErrors], fmt.Sprintf("… and %d more", len(j.Errors)-maxEventErrors))
	}
	if site != "" {
		ev.URL = strings.TrimRight(site, "/") + "/jobs/" + url.PathEscape(j.ID)
	}
	return ev
}

// Text is the event as one chat message.
func (ev JobEvent) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "groupsync job %s %s", ev.JobID, strings.ToUpper(ev.Status))
	if ev.DryRun {
		b.WriteString(" (dry run)")
	}
	c := ev.Counts
	fmt.Fprintf(&b, ": %d groups, %d users created, %d updated, %d disabled, %d deleted, %d members added, %d removed, %d errors",
		c.Groups, c.UsersCreated, c.UsersUpdated, c.UsersDisabled, c.UsersDeleted, c.MembersAdded, c.MembersRemove, c.Errors)
	for _, h := range ev.Held {
		b.WriteString("\nheld: " + h)
	}
	for _, e := range ev.Errors {
		b.WriteString("\nerror: " + e)
	}
	if ev.URL != "" {
		b.WriteString("\n" + ev.URL)
	}
	return b.String()
}

// notifier announces finished jobs: an event on groupsync-jobs, and a
// webhook post when GROUPSYNC_WEBHOOK names the webhook's URL (a secret
// reference, since a chat webhook URL is a credential).
type notifier struct {
	jobs    *pubsub.Publisher
	site    string
	webhook string // a secret reference, resolved on use
	resolve *config.Resolver
	client  *http.Client

	mu  sync.Mutex
	url string
}

// webhookMessage is what the webhook receives: the one field Slack and
// Google Chat incoming webhooks both accept.
type webhookMessage struct {
	Text string `json:"text"`
}

// JobEnded implements engine.JobNotifier.
func (n *notifier) JobEnded(ctx context.Context, j model.Job) error {
	ev := jobEvent(j, n.site)
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	var errs []error
	if n.jobs != nil {
		if _, err := publishAll(ctx, n.jobs, []*pubsub.Message{{
			Data:       body,
			Attributes: map[string]string{"job_id": ev.JobID, "status": ev.Status},
		}}); err != nil {
			errs = append(errs, fmt.Errorf("publish job event: %w", err))
		}
	}
	if n.webhook != "" {
		if err := n.post(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%v", errs)
	}
	return nil
}

// post sends the event's text to the webhook. Errors never repeat the
// URL: it is the credential.
func (n *notifier) post(ctx context.Context, ev JobEvent) error {
	u, err := n.webhookURL(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(webhookMessage{Text: ev.Text()})
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: the configured URL is not usable")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post failed (%T)", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: answered %s", resp.Status)
	}
	return nil
}

func (n *notifier) webhookURL(ctx context.Context) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.url != "" {
		return n.url, nil
	}
	u, err := n.resolve.Resolve(ctx, n.webhook)
	if err != nil {
		return "", fmt.Errorf("webhook: resolve %s: %w", envWebhook, err)
	}
	n.url = strings.TrimSpace(u)
	return n.url, nil
}
