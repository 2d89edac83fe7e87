package main

import (
	"crypto/ecdh"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xanode/xanode/certs/seal"
)

// City backups are sealed (package certs/seal) to a key pair city IT
// makes once: the public half sits beside the PKI of whoever takes
// backups, the private half is kept offline and is needed only to
// restore. See deploy/runbooks/backup-and-disaster-recovery.md.

// Files of the backup key pair.
const (
	backupKeyFile = "backup.key" // private: offline, with city IT
	backupPubFile = "backup.pub" // public: where backups are taken
)

// pkiBackupKey makes the backup key pair.
func pkiBackupKey(args []string) error {
	fs := flag.NewFlagSet("pki backup-key", flag.ContinueOnError)
	out := fs.String("out", "", "folder to write backup.key (private, keep it offline) and backup.pub into")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki backup-key --out DIR")
		return errUsage
	}
	for _, name := range []string{backupKeyFile, backupPubFile} {
		if _, err := os.Stat(filepath.Join(*out, name)); err == nil {
			return fmt.Errorf("%s already exists in %s: a new key would not open the backups made to the old one; "+
				"move the old pair away first if you mean to replace it", name, *out)
		}
	}
	key, err := seal.NewKey()
	if err != nil {
		return err
	}
	privPEM, err := seal.MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	pubPEM, err := seal.MarshalPublicKey(key.PublicKey())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(*out, backupKeyFile), privPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(*out, backupPubFile), pubPEM, 0o644); err != nil {
		return err
	}
	fmt.Printf("backup key pair written to %s\n", *out)
	fmt.Printf("  fingerprint: %s\n", seal.Fingerprint(key.PublicKey()))
	fmt.Printf("Copy %s into the PKI folder of whoever runs `xanode city backup` (or pass it with --to).\n", backupPubFile)
	fmt.Printf("Move %s offline now (two copies, kept apart, like the root key): only it opens the backups.\n", backupKeyFile)
	return nil
}

// writeNew writes a file that must not exist yet, and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// backupRecipient reads the public backup key: --to, or backup.pub in
// the PKI folder.
func backupRecipient(to, pkiDir string) (*ecdh.PublicKey, string, error) {
	path := to
	if path == "" {
		path = filepath.Join(pkiDir, backupPubFile)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && to == "" {
		return nil, "", fmt.Errorf("no %s in %s: backups hold the whole population and are only written encrypted. "+
			"Make the key pair once with `xanode pki backup-key --out DIR`, keep backup.key offline, "+
			"and put backup.pub in the PKI folder or pass it with --to", backupPubFile, pkiDir)
	}
	if err != nil {
		return nil, "", err
	}
	pub, err := seal.ParsePublicKey(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return pub, path, nil
}
