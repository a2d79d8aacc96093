package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startCmd runs a long-lived command and returns the URL it prints.
func startCmd(t *testing.T, ctx context.Context, re *regexp.Regexp, args ...string) (string, <-chan int) {
	t.Helper()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, stderr) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], done
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v did not start: %s", args, stderr.String())
		}
	}
}

// The console attaches the operator's token: a deployment that refuses
// the browser's bare request serves the site through it.
func TestConsoleAttachesTheIDToken(t *testing.T) {
	const token = "console-test-token"
	t.Setenv(serveTokenEnv, token)
	t.Setenv(idTokenEnv, token)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	site, served := startCmd(t, ctx, regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`), "--config", serveConfig(t), "serve", "--addr", "127.0.0.1:0")
	console, consoled := startCmd(t, ctx, regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`), "console", "--remote", site, "--addr", "127.0.0.1:0")

	get := func(base string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(site); code != http.StatusUnauthorized {
		t.Errorf("the site without a token: %d, want 401", code)
	}
	if code, body := get(console); code != http.StatusOK || !strings.Contains(body, "<html") {
		t.Errorf("the site through the console: %d, want 200 and the HTML job list:\n%.300s", code, body)
	}
	if code, _, errs := runSplit("console", "--remote", site, "--addr", "0.0.0.0:0"); code != exitError || !strings.Contains(errs, "not a loopback") {
		t.Errorf("console on 0.0.0.0: exit %d, stderr %q; want 1, refused", code, errs)
	}
	cancel()
	<-served
	<-consoled
}
