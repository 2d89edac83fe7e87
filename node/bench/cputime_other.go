//go:build !unix

package bench

import "time"

// cpuTime is not measured here: benchmarks print wall-clock times only.
func cpuTime() time.Duration { return 0 }

// cpuSeconds is cpuTime in seconds.
func cpuSeconds() float64 { return cpuTime().Seconds() }
