//go:build !unix

package main

// cpuSeconds is unknown here: benchmarks report wall time only.
func cpuSeconds() float64 { return 0 }
