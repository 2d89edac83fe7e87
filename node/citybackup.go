package node

import (
	"bufio"
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/xanode/xanode/certs/seal"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
)

// A city backup (DESIGN.md, "Operations"): the stream a city node sends
// from GET /v1/admin/backup, sealed (package certs/seal) to the public
// backup key city IT made once; the private half, kept offline, opens it to
// restore.

// CityBackupContent labels what a sealed city backup holds.
const CityBackupContent = "xanode-city-backup"

// The backup's description and the results of restore and recover.
type (
	CityBackupHeader = cluster.BackupHeader
	CityRestored     = cluster.Restored
	CityRecovered    = cluster.Recovered
)

// SavedCityBackup is what SaveCityBackup wrote.
type SavedCityBackup struct {
	Header   CityBackupHeader
	Checksum string // sha256 of the plain state, as the node computed it
	Bytes    int64  // the file's size
}

// SaveCityBackup encrypts the backup stream body to recipient, writes it to
// out and checks it in one pass (the state is decompressed and its checksum
// compared); the file takes its name only once whole, and never replaces
// one. The plaintext never touches the disk.
func SaveCityBackup(body io.Reader, out string, recipient *ecdh.PublicKey) (SavedCityBackup, error) {
	var saved SavedCityBackup
	if _, err := os.Stat(out); err == nil {
		return saved, fmt.Errorf("%s already exists: choose a new file name (a backup never overwrites another)", out)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.partial")
	if err != nil {
		return saved, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	sealed, err := seal.NewWriter(tmp, recipient, CityBackupContent)
	if err != nil {
		return saved, err
	}
	br, err := cluster.NewBackupReader(io.TeeReader(body, sealed))
	if err != nil {
		return saved, err
	}
	defer br.Close()
	if err := br.WriteState(io.Discard); err != nil {
		return saved, fmt.Errorf("the backup does not check: %w", err)
	}
	if _, err := io.Copy(sealed, body); err != nil {
		return saved, err
	}
	if err := sealed.Close(); err != nil {
		return saved, err
	}
	if err := tmp.Sync(); err != nil {
		return saved, err
	}
	if err := tmp.Close(); err != nil {
		return saved, err
	}
	if _, err := os.Stat(out); err == nil {
		return saved, fmt.Errorf("%s appeared while the backup ran: choose a new file name", out)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return saved, fmt.Errorf("keeping the backup as %s: %w", out, err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return saved, err
	}
	return SavedCityBackup{Header: br.Header, Checksum: br.Checksum(), Bytes: fi.Size()}, nil
}

// OpenCityBackup returns the plaintext backup stream of f: opened with the
// private key in keyFile when sealed; an unencrypted backup of an older
// xanode only with unencrypted set.
func OpenCityBackup(f io.Reader, keyFile string, unencrypted bool) (io.Reader, error) {
	br := bufio.NewReader(f)
	prefix, _ := br.Peek(seal.MagicLen)
	if !seal.IsSealed(prefix) {
		if !unencrypted {
			return nil, errors.New("this backup is not encrypted (it was taken by an older xanode, or is not a backup): " +
				"restore it only if it was kept safe, with --unencrypted, then take a new, encrypted backup and destroy it")
		}
		return br, nil
	}
	if keyFile == "" {
		return nil, errors.New("the backup is encrypted: give the private backup key with --key backup.key (city IT keeps it offline)")
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := seal.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	r, err := seal.NewReader(br, key)
	if err != nil {
		return nil, err
	}
	if r.Header.Content != CityBackupContent {
		return nil, fmt.Errorf("the file holds %q, not a city backup", r.Header.Content)
	}
	return r, nil
}

// RestoreCity makes dir a one-node cluster of id at raftAddr holding the
// backup's state, its raft indexes continuing above the backup's applied
// index or above, whichever is higher.
func RestoreCity(backup io.Reader, dir, id, raftAddr string, above uint64) (CityRestored, error) {
	return cluster.Restore(backup, cluster.RestoreConfig{Dir: dir, ID: id, RaftAddr: raftAddr, Above: above})
}

// RecoverCity makes the stopped survivor in dir a one-voter cluster of
// itself at raftAddr, keeping its state and indexes (after losing the
// majority).
func RecoverCity(dir, id, raftAddr string) (*CityRecovered, error) {
	return cluster.Recover(cluster.RecoverConfig{Dir: dir, ID: id, RaftAddr: raftAddr, FSM: fsm.DefaultConfig()})
}
