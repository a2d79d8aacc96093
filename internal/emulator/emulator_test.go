package emulator_test

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/groupsync/groupsync/internal/emulator"
)

func TestMain(m *testing.M) { emulator.Main(m) }

func TestFirestoreWriteReadReset(t *testing.T) {
	host := emulator.Firestore(t)
	t.Setenv(emulator.FirestoreHostEnv, host)
	ctx := t.Context()
	project := emulator.ProjectID(t)

	c, err := firestore.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	doc := c.Doc("things/one")
	if _, err := doc.Set(ctx, map[string]any{"n": 1}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	snap, err := doc.Get(ctx)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got, want := snap.Data()["n"], int64(1); got != want {
		t.Errorf("n = %v, want %v", got, want)
	}

	emulator.ResetFirestore(t, host, project)
	if _, err := doc.Get(ctx); status.Code(err) != codes.NotFound {
		t.Errorf("Get after reset: err = %v, want NotFound", err)
	}
}

func TestFirestoreSharedPerBinary(t *testing.T) {
	a := emulator.Firestore(t)
	b := emulator.Firestore(t)
	if a != b {
		t.Errorf("second call started another emulator: %q then %q", a, b)
	}
}

func TestProjectIDUnique(t *testing.T) {
	a, b := emulator.ProjectID(t), emulator.ProjectID(t)
	if a == b {
		t.Errorf("ProjectID returned %q twice", a)
	}
}

func TestPubSubPublishReceive(t *testing.T) {
	host := emulator.PubSub(t)
	t.Setenv(emulator.PubSubHostEnv, host)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	project := emulator.ProjectID(t)

	c, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	topic := "projects/" + project + "/topics/runs"
	sub := "projects/" + project + "/subscriptions/runs-sub"
	if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{Name: sub, Topic: topic}); err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	pub := c.Publisher(topic)
	defer pub.Stop()
	if _, err := pub.Publish(ctx, &pubsub.Message{Data: []byte("hello")}).Get(ctx); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	rctx, rcancel := context.WithCancel(ctx)
	var got string
	err = c.Subscriber(sub).Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		got = string(m.Data)
		m.Ack()
		rcancel()
	})
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if want := "hello"; got != want {
		t.Errorf("received %q, want %q", got, want)
	}
}

// TestPubSubClientOptions reaches the emulator without PUBSUB_EMULATOR_HOST.
func TestPubSubClientOptions(t *testing.T) {
	host := emulator.PubSub(t)
	ctx := t.Context()
	project := emulator.ProjectID(t)
	c, err := pubsub.NewClient(ctx, project, emulator.ClientOptions(host)...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	topic := "projects/" + project + "/topics/changes"
	if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	got, err := c.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: topic})
	if err != nil {
		t.Fatalf("GetTopic: %v", err)
	}
	if got.GetName() != topic {
		t.Errorf("GetTopic name = %q, want %q", got.GetName(), topic)
	}
}
