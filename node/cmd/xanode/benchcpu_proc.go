package main

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the whole process has used so far, every
// thread, user and system: an import runs on several goroutines, and on
// a loaded machine its wall time says more about the neighbours.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
