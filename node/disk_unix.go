//go:build unix

package node

import "syscall"

// diskFree is the space available to unprivileged users on dir's
// filesystem (0 when unknown).
func diskFree(dir string) uint64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0
	}
	return st.Bavail * uint64(st.Bsize)
}
