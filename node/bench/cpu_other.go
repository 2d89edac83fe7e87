//go:build !linux

package main

import "time"

// threadCPU is measured on Linux only; elsewhere it reports the wall time.
func threadCPU(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}
