package emulator

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the emulator in its own process group, so stop reaches
// the JVM that the SDK script forks, and asks the kernel to kill it if the
// test binary dies first (a test timeout exits without running TestMain's
// cleanup).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
