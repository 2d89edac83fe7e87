//go:build unix

package main

import "syscall"

// cpuSeconds is the CPU time the process has used so far, user and
// system: on a shared machine the wall time of a benchmark says more about
// the neighbours than about the code.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
