package emulator

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds how long a JVM emulator may take to answer. They
// usually need 1–3 s; a loaded CI machine can need far more.
const startTimeout = 90 * time.Second

// process is a running emulator.
type process struct {
	name string
	host string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed when the process exits
}

// launch starts argv with the port appended by portArg and waits until
// http://host/ answers 200 ("Ok" on both emulators). A port taken between
// picking and binding is retried.
func launch(name string, argv []string, portArgs func(port int) []string) (*process, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("emulator: %s: %w", name, err)
		}
		p, err := startProcess(name, append(append([]string(nil), argv...), portArgs(port)...), net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startProcess(name string, argv []string, host string) (*process, error) {
	out := &tailBuffer{max: 8 << 10}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulator: starting %s: %w", name, err)
	}
	p := &process{name: name, host: host, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := p.waitReady(ctx); err != nil {
		p.stop()
		return nil, fmt.Errorf("emulator: %s (%s) did not start: %w\n%s", name, strings.Join(argv, " "), err, out.String())
	}
	return p, nil
}

func (p *process) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.host+"/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("process exited: %v", p.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("no answer from http://%s/ after %v", p.host, startTimeout)
		case <-tick.C:
		}
	}
}

// stop ends the emulator's whole process group (the SDK scripts fork the
// JVM) and waits for it.
func (p *process) stop() {
	signalGroup(p.cmd, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(5 * time.Second):
	}
	signalGroup(p.cmd, syscall.SIGKILL)
	<-p.done
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written, for start-up error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fileExists reports whether path names a regular file.
func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
