package emulator

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// sdkRoot finds the Google Cloud SDK: $CLOUDSDK_ROOT_DIR, the SDK that the
// gcloud on PATH belongs to, or what `gcloud info` reports.
func sdkRoot() (string, error) {
	if d := os.Getenv("CLOUDSDK_ROOT_DIR"); d != "" {
		return d, nil
	}
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		return "", fmt.Errorf("%w: gcloud is not on PATH (install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install)", errMissing)
	}
	// gcloud lives in SDK/bin; resolving the symlink is much faster than
	// asking gcloud, which starts Python.
	if real, err := filepath.EvalSymlinks(gcloud); err == nil {
		root := filepath.Dir(filepath.Dir(real))
		if _, err := os.Stat(filepath.Join(root, "platform")); err == nil {
			return root, nil
		}
	}
	out, err := exec.Command(gcloud, "info", "--format=value(installation.sdk_root)").Output()
	if err != nil {
		return "", fmt.Errorf("%w: gcloud info: %v", errMissing, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func javaPath() (string, error) {
	if j := os.Getenv("JAVA"); j != "" {
		return j, nil
	}
	j, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w: java is not on PATH (the emulators need a Java 17+ runtime)", errMissing)
	}
	return j, nil
}

// FirestoreCommand returns the command line that starts the Firestore
// emulator, without the port, or an error explaining what to install.
func firestoreCommand() ([]string, error) {
	root, err := sdkRoot()
	if err != nil {
		return nil, fmt.Errorf("firestore %w", err)
	}
	java, err := javaPath()
	if err != nil {
		return nil, fmt.Errorf("firestore %w", err)
	}
	dir := filepath.Join(root, "platform", "cloud-firestore-emulator")
	// Run the JVM directly rather than through the SDK script, which forks
	// it: then the kernel's parent-death signal reaches the JVM itself.
	if jar := filepath.Join(dir, "cloud-firestore-emulator.jar"); fileExists(jar) {
		return []string{java, "-Duser.language=en", "-cp", jar,
			"com.google.cloud.datastore.emulator.firestore.CloudFirestore",
			"start", "--host=127.0.0.1"}, nil
	}
	if script := filepath.Join(dir, "cloud_firestore_emulator"); fileExists(script) {
		return []string{script, "start", "--host=127.0.0.1"}, nil
	}
	return nil, fmt.Errorf("firestore %w: no %s (install it with `gcloud components install cloud-firestore-emulator` or the google-cloud-cli-firestore-emulator package)", errMissing, dir)
}

// pubsubCommand returns the command line that starts the Pub/Sub emulator,
// without the port.
func pubsubCommand() ([]string, error) {
	root, err := sdkRoot()
	if err != nil {
		return nil, fmt.Errorf("pubsub %w", err)
	}
	if _, err := javaPath(); err != nil {
		return nil, fmt.Errorf("pubsub %w", err)
	}
	// The script execs the JVM, so it receives the parent-death signal too.
	script := filepath.Join(root, "platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator")
	if !fileExists(script) {
		return nil, fmt.Errorf("pubsub %w: no %s (install it with `gcloud components install pubsub-emulator` or the google-cloud-cli-pubsub-emulator package)", errMissing, script)
	}
	return []string{script, "--host=127.0.0.1"}, nil
}

func startFirestore() (*process, error) {
	argv, err := firestoreCommand()
	if err != nil {
		return nil, err
	}
	return launch("firestore", argv, func(port int) []string {
		return []string{"--port=" + strconv.Itoa(port)}
	})
}

func startPubSub() (*process, error) {
	argv, err := pubsubCommand()
	if err != nil {
		return nil, err
	}
	return launch("pubsub", argv, func(port int) []string {
		return []string{"--port=" + strconv.Itoa(port)}
	})
}
