package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/groupsync/groupsync/internal/model"
)

// Topic names: the contract with package functions and terraform/locals.tf.
const (
	topicRuns    = "groupsync-runs"
	topicGroups  = "groupsync-groups"
	topicChanges = "groupsync-changes"
)

// changesSub is the pull subscription through which the demo reads what a
// downstream consumer of groupsync-changes would receive.
const changesSub = "demo-changes"

// emulatorClient returns a Pub/Sub client for the emulator and the project.
func emulatorClient(ctx context.Context) (*pubsub.Client, string, error) {
	if os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		return nil, "", errors.New("PUBSUB_EMULATOR_HOST is not set: this demo talks to the Pub/Sub emulator only")
	}
	project := os.Getenv("GOOGLE_CLOUD_PROJECT")
	if project == "" {
		return nil, "", errors.New("GOOGLE_CLOUD_PROJECT is not set")
	}
	c, err := pubsub.NewClient(ctx, project)
	if err != nil {
		return nil, "", err
	}
	return c, project, nil
}

func topicName(project, topic string) string { return "projects/" + project + "/topics/" + topic }

// setup creates the topics, the push subscriptions that stand in for the
// functions' Eventarc triggers, and the pull subscription on the changes.
func setup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	dispatch := fs.String("dispatch", "", "base URL of the Dispatch function")
	syncGroup := fs.String("sync-group", "", "base URL of the SyncGroup function")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dispatch == "" || *syncGroup == "" {
		return errors.New("-dispatch and -sync-group are required")
	}
	c, project, err := emulatorClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, t := range []string{topicRuns, topicGroups, topicChanges} {
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topicName(project, t)}); err != nil {
			return fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	subs := []struct{ name, topic, push string }{
		{"dispatch", topicRuns, *dispatch},
		{"sync-group", topicGroups, *syncGroup},
		{changesSub, topicChanges, ""},
	}
	for _, s := range subs {
		sub := &pubsubpb.Subscription{
			Name:               "projects/" + project + "/subscriptions/" + s.name,
			Topic:              topicName(project, s.topic),
			AckDeadlineSeconds: 60,
			// A function's error answer makes Pub/Sub redeliver, as the
			// Eventarc triggers' RETRY_POLICY_RETRY does in the cloud.
			RetryPolicy: &pubsubpb.RetryPolicy{
				MinimumBackoff: durationpb.New(time.Second),
				MaximumBackoff: durationpb.New(10 * time.Second),
			},
		}
		if s.push != "" {
			// The framework takes the event's topic from the request
			// path, as it does behind Eventarc.
			endpoint := strings.TrimSuffix(s.push, "/") + "/" + topicName(project, s.topic)
			sub.PushConfig = &pubsubpb.PushConfig{PushEndpoint: endpoint}
		}
		if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, sub); err != nil {
			return fmt.Errorf("create subscription %s: %w", s.name, err)
		}
		if s.push != "" {
			fmt.Printf("  %-12s -> %-17s push %s\n", s.name, s.topic, sub.PushConfig.PushEndpoint)
		} else {
			fmt.Printf("  %-12s -> %-17s pull (what a downstream consumer would read)\n", s.name, s.topic)
		}
	}
	return nil
}

// publish publishes one message and prints the ID the emulator gave it.
func publish(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	topic := fs.String("topic", topicRuns, "topic to publish to")
	data := fs.String("data", "{}", "message body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, project, err := emulatorClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	p := c.Publisher(topicName(project, *topic))
	defer p.Stop()
	id, err := p.Publish(ctx, &pubsub.Message{Data: []byte(*data)}).Get(ctx)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", *topic, err)
	}
	fmt.Println(id)
	return nil
}

// changes receives the change events waiting on the demo's subscription,
// stopping once none has arrived for the idle time, and prints them.
func changes(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("changes", flag.ContinueOnError)
	idle := fs.Duration("idle", 2*time.Second, "stop after this long without a message")
	only := fs.String("only", "", "fail unless there are events and all that name a group name this one (by email)")
	none := fs.Bool("none", false, "fail if there is any event")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, _, err := emulatorClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	events, err := receiveAll(ctx, c.Subscriber(changesSub), *idle)
	if err != nil {
		return err
	}
	slices.SortFunc(events, func(a, b model.ChangeEvent) int { return strings.Compare(a.GroupEmail, b.GroupEmail) })
	fmt.Printf("%d change event(s) on %s\n", len(events), topicChanges)
	for _, ev := range events {
		fmt.Printf("  job %s  %s\n", ev.JobID, describe(ev))
	}
	if *none && len(events) > 0 {
		return fmt.Errorf("want no change events, got %d", len(events))
	}
	if *only != "" && len(events) == 0 {
		return fmt.Errorf("want changes to %s, got none", *only)
	}
	for _, ev := range events {
		// Users deprovisioned at the end of a run belong to no group.
		if *only != "" && ev.GroupEmail != "" && !strings.EqualFold(ev.GroupEmail, *only) {
			return fmt.Errorf("want changes to %s only, got one to %s", *only, ev.GroupEmail)
		}
	}
	return nil
}

func receiveAll(ctx context.Context, sub *pubsub.Subscriber, idle time.Duration) ([]model.ChangeEvent, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		events []model.ChangeEvent
		bad    error
	)
	timer := time.AfterFunc(idle, cancel)
	err := sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		timer.Reset(idle)
		m.Ack()
		var ev model.ChangeEvent
		err := json.Unmarshal(m.Data, &ev)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			bad = fmt.Errorf("message %s is not a change event: %w", m.ID, err)
			return
		}
		events = append(events, ev)
	})
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("receive %s: %w", changesSub, err)
	}
	return events, bad
}

// describe sums up an event; the IDs it carries are the source's user IDs,
// which mean little to a reader, so it shows counts.
func describe(ev model.ChangeEvent) string {
	var parts []string
	if ev.GroupEmail != "" || ev.GroupID != "" {
		parts = append(parts, fmt.Sprintf("group %s %s: members +%d -%d",
			cmp.Or(ev.GroupEmail, ev.GroupID), ev.Status, len(ev.Added), len(ev.Removed)))
	}
	if n := len(ev.UsersDisabled); n > 0 {
		parts = append(parts, fmt.Sprintf("%d users disabled", n))
	}
	if n := len(ev.UsersDeleted); n > 0 {
		parts = append(parts, fmt.Sprintf("%d users deleted", n))
	}
	return strings.Join(parts, "; ")
}
