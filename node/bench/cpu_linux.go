package bench

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// threadCPU runs fn on a locked OS thread and returns the CPU time that
// thread spent (CLOCK_THREAD_CPUTIME_ID): on a machine other processes
// load, it shows the work a lookup costs apart from the time it waited
// for a core.
func threadCPU(fn func() error) (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	now := func() time.Duration {
		const clockThreadCPUTime = 3
		var ts syscall.Timespec
		syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
		return time.Duration(ts.Nano())
	}
	start := now()
	err := fn()
	return now() - start, err
}
