//go:build !unix

package main

import "time"

// cpuTime is not measured here: benchmarks print wall-clock times only.
func cpuTime() time.Duration { return 0 }
