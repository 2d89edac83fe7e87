package fsm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The state file is written without fsync (DESIGN.md, "Operations"): a
// commit's fsync held up every entry behind it and competed with the raft
// log's fsyncs on the same disk, and the file needs none to be recovered.
//
//   - A process that dies leaves its writes in the page cache: the file
//     is whole as of its last commit, and raft replays the log above the
//     applied index it holds.
//   - A machine that dies (power, kernel) may leave any part of the file
//     torn. The file is then discarded, and the node starts from an empty
//     state: raft restores its latest snapshot (snapshots are fsynced) and
//     replays the log after it; with no snapshot yet, the log is whole from
//     its first entry and is replayed from there.
//
// What tells the two apart is the boot: the file's marker (path + ".boot")
// holds the boot ID of the machine's run that opened it, and is removed by
// a clean Close, which syncs the file first. A marker of another boot
// means the machine stopped under an open file. Where the boot ID cannot
// be read, the file is fsynced at every commit, as before.

// bootID reads the kernel's ID of this boot ("" where there is none); a
// variable so that tests can pretend a reboot.
var bootID = func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// openUnsynced prepares path to be written without fsync: it discards a
// file that an earlier boot left open, then marks the file with this boot.
// It reports false, and changes nothing, where the boot is unknown.
func openUnsynced(path string) (bool, error) {
	boot := bootID()
	if boot == "" {
		return false, nil
	}
	marker := path + ".boot"
	b, err := os.ReadFile(marker)
	switch {
	case err == nil && strings.TrimSpace(string(b)) != boot:
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("fsm: discarding %s, left open by a machine that stopped: %w", path, err)
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("fsm: %w", err)
	}
	if err := writeSynced(marker, []byte(boot+"\n")); err != nil {
		return false, fmt.Errorf("fsm: marking %s: %w", path, err)
	}
	return true, nil
}

// closeUnsynced ends the mark of a file just synced and closed cleanly.
func closeUnsynced(path string) error {
	if err := os.Remove(path + ".boot"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("fsm: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
