package functions

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/internal/engine"
	"github.com/groupsync/groupsync/internal/model"
)

// applyStep is an apply step adding n members, as a first sync's is.
func applyStep(n int) engine.Step {
	ga := &engine.GroupApply{Plan: model.GroupPlan{GroupID: "g1", Email: "all@example.com", Add: make([]string, n)}, Targets: make([]string, n)}
	for i := range n {
		ga.Plan.Add[i] = fmt.Sprintf("1%020d", uint64(i)*0x9E3779B97F4A7C15%1e19)
		ga.Targets[i] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*2654435761, i%65536, i%4096, (i*7)%4096, uint64(i)*0x2545F4914F6CDD1D%(1<<48))
	}
	return engine.Step{Kind: engine.StepApply, JobID: "j", Rule: "all", Apply: ga}
}

func TestStepEncoding(t *testing.T) {
	for _, tc := range []struct {
		name     string
		step     engine.Step
		encoding string
	}{
		{"small step, plain JSON", applyStep(10), ""},
		{"200,000 members, gzipped under the limit", applyStep(200_000), encodingGzip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, enc, err := encodeStep(tc.step)
			if err != nil {
				t.Fatalf("encodeStep: %v", err)
			}
			if plain, _ := json.Marshal(tc.step); enc != "" && len(plain) <= 10_000_000 {
				t.Fatalf("plain JSON is %d bytes: the test wants a step over 10 MB before gzip", len(plain))
			}
			if enc != tc.encoding {
				t.Errorf("encoding: got %q, want %q", enc, tc.encoding)
			}
			if len(body) > maxMessage {
				t.Errorf("body: got %d bytes, want at most %d", len(body), maxMessage)
			}
			msg := pubsubMsg{Data: body, Attributes: map[string]string{}}
			if enc != "" {
				msg.Attributes[attrEncoding] = enc
			}
			data, err := stepData(msg)
			if err != nil {
				t.Fatalf("stepData: %v", err)
			}
			var got engine.Step
			if err := strictJSON(data, &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tc.step, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("step after the round trip (-sent +received):\n%s", diff)
			}
		})
	}
}

// TestStepOverMessageLimit: a step that is over Pub/Sub's limit even
// gzipped is refused with a message that names the group.
func TestStepOverMessageLimit(t *testing.T) {
	defer func(m int) { maxMessage = m }(maxMessage)
	maxMessage = 100_000
	_, _, err := encodeStep(applyStep(100_000))
	if err == nil || !strings.Contains(err.Error(), "group g1") || !strings.Contains(err.Error(), "10 MB") {
		t.Errorf("encodeStep: got %v, want an error naming group g1 and the 10 MB limit", err)
	}
}

func TestStepDataRefusesUnknownEncoding(t *testing.T) {
	for _, msg := range []pubsubMsg{
		{Data: []byte(`{}`), Attributes: map[string]string{attrEncoding: "br"}},
		{Data: []byte(`{}`), Attributes: map[string]string{attrEncoding: encodingGzip}}, // not gzip at all
	} {
		if _, err := stepData(msg); err == nil {
			t.Errorf("stepData(encoding %q, %q): got nil error, want one", msg.Attributes[attrEncoding], msg.Data)
		}
	}
}

// TestGzippedRunStep: Dispatch reads a gzipped rule step as it reads a
// plain one.
func TestGzippedRunStep(t *testing.T) {
	want := engine.Step{Kind: engine.StepUsers, JobID: "j", Rule: "all"}
	body, _, err := encodeStep(want)
	if err != nil {
		t.Fatal(err)
	}
	zipped := gzipped(t, body)
	got, err := runStep(pubsubMsg{Data: zipped, Attributes: map[string]string{attrEncoding: encodingGzip}, ID: "m1"})
	if err != nil {
		t.Fatalf("runStep: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step (-want +got):\n%s", diff)
	}
}

func gzipped(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
