package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/certs/seal"
	"github.com/xanode/xanode/node"
)

// city backup, restore and recover: see deploy/runbooks/backup-and-disaster-recovery.md.

func cityBackup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("city backup", flag.ContinueOnError)
	url := fs.String("city", "", "API URL of a city node (any node, leader or not)")
	pkiDir := fs.String("pki", "", "PKI folder holding the admin certificate")
	out := fs.String("out", "", "backup file to write (must not exist)")
	to := fs.String("to", "", "public backup key the file is encrypted to (default: backup.pub in the PKI folder; see xanode pki backup-key)")
	if err := fs.Parse(args); err != nil || *url == "" || *pkiDir == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode city backup --city URL --pki DIR --out FILE [--to backup.pub]")
		return errUsage
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name (a backup never overwrites another)", *out)
	}
	recipient, recipientFile, err := backupRecipient(*to, *pkiDir)
	if err != nil {
		return err
	}
	city, err := adminCity(*pkiDir, *url)
	if err != nil {
		return err
	}
	defer city.Close()
	start := time.Now()
	// No overall timeout: a backup of gigabytes takes minutes; Ctrl-C ends it.
	stream, err := city.Backup(ctx)
	if err != nil {
		return fmt.Errorf("backup from %s: %w", *url, err)
	}
	defer stream.Close()

	saved, err := node.SaveCityBackup(stream, *out, recipient)
	if err != nil {
		return fmt.Errorf("from %s: %w", *url, err)
	}
	fmt.Printf("backup written to %s in %s\n", *out, time.Since(start).Round(time.Millisecond))
	printHeader(saved.Header)
	fmt.Printf("file_bytes:    %d\n", saved.Bytes)
	fmt.Printf("sha256:        %s\n", saved.Checksum)
	fmt.Printf("encrypted_to:  %s (%s)\n", seal.Fingerprint(recipient), recipientFile)
	return nil
}

func printHeader(h node.CityBackupHeader) {
	fmt.Printf("node:          %s\n", h.Node)
	fmt.Printf("taken:         %s\n", h.Taken.Format(time.RFC3339))
	fmt.Printf("applied_index: %d\n", h.AppliedIndex)
	fmt.Printf("term:          %d\n", h.Term)
	fmt.Printf("state_digest:  %s\n", h.StateDigest)
	fmt.Printf("citizens:      %d\n", h.Citizens)
	fmt.Printf("changes:       %d\n", h.Changes)
	fmt.Printf("state_bytes:   %d\n", h.StateBytes)
}

// checkNodeCert fails early when the PKI cannot serve node id at the
// given host:port addresses: the node would not start, or peers would
// refuse it.
func checkNodeCert(pki *certs.PKI, id string, addrs ...string) error {
	cert, err := pki.Node(id)
	if err != nil {
		return fmt.Errorf("%w; the PKI certifies %s: use one of those IDs, or certify this one first",
			err, strings.Join(pki.CityNodes(), ", "))
	}
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Errorf("address %q: %w (want host:port)", a, err)
		}
		if err := cert.Leaf.VerifyHostname(host); err != nil {
			return fmt.Errorf("the certificate of %s does not name %s, so peers would refuse it (%w): give the addresses other nodes dial, which its certificate names",
				id, host, err)
		}
	}
	return nil
}

func cityRestore(args []string) error {
	fs := flag.NewFlagSet("city restore", flag.ContinueOnError)
	file := fs.String("file", "", "backup file from 'xanode city backup'")
	dir := fs.String("data", "", "new (or empty) data folder for the restored node")
	id := fs.String("id", "", "node ID the restored node will run as")
	raftAddr := fs.String("raft", "", "raft address other nodes will dial: the node's --raft-advertise, or its --raft")
	apiAddr := fs.String("api", "", "API address the node will use (only checked against its certificate and printed)")
	pkiDir := fs.String("pki", "", "PKI folder the node will run with")
	keyFile := fs.String("key", "", "private backup key (backup.key, kept offline by city IT) that opens the encrypted backup")
	unencrypted := fs.Bool("unencrypted", false, "accept a backup of an older xanode, written unencrypted")
	above := fs.Uint64("above", 0, "continue raft indexes above this one if higher than the backup's: the highest applied_index\nor subset_version seen after the backup was taken (edges keep versions from the lost history)")
	if err := fs.Parse(args); err != nil || *file == "" || *dir == "" || *id == "" || *raftAddr == "" || *pkiDir == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode city restore --file FILE --key backup.key --data DIR --id ID --raft ADDR [--api ADDR] --pki DIR [--above INDEX] [--unencrypted]")
		return errUsage
	}
	pki, err := certs.LoadNode(*pkiDir, *id)
	if err != nil {
		return err
	}
	addrs := []string{*raftAddr}
	if *apiAddr != "" {
		addrs = append(addrs, *apiAddr)
	}
	if err := checkNodeCert(pki, *id, addrs...); err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	backup, err := node.OpenCityBackup(f, *keyFile, *unencrypted)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	start := time.Now()
	res, err := node.RestoreCity(backup, *dir, *id, *raftAddr, *above)
	if err != nil {
		return err
	}
	h := res.Header
	fmt.Printf("restored into %s in %s: a one-node cluster of %s at %s; raft continues above index %d\n",
		*dir, time.Since(start).Round(time.Millisecond), *id, *raftAddr, res.Index)
	printHeader(h)
	fmt.Printf("raft_index:    %d\n", res.Index)
	api := *apiAddr
	if api == "" {
		api = "HOST:PORT"
	}
	fmt.Printf(`next:
  1. start it. It needs no --bootstrap: the folder already is a one-node cluster. `+"`xanode city`"+` wants
     --bootstrap or --join; give --join with its own URL (it finds itself a member and asks no one),
     so that a wiped folder can never bootstrap a second cluster:
     xanode city --id %s --data %s --raft %s --api %s --pki %s --join https://%s
  2. check GET /v1/status: "leader":"%s", "applied_index":%d, "state_digest":"%s"
  3. join each other node from an empty data folder:
     xanode city --id OTHER --data NEWDIR --raft ... --api ... --pki %s --join https://%s
`, *id, *dir, *raftAddr, api, *pkiDir, api, *id, h.AppliedIndex, h.StateDigest, *pkiDir, api)
	return nil
}

func cityRecover(args []string) error {
	fs := flag.NewFlagSet("city recover", flag.ContinueOnError)
	dir := fs.String("data", "", "the stopped survivor's data folder")
	id := fs.String("id", "", "the survivor's node ID, as it ran")
	raftAddr := fs.String("raft", "", "raft address other nodes will dial: the node's --raft-advertise, or its --raft")
	if err := fs.Parse(args); err != nil || *dir == "" || *id == "" || *raftAddr == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode city recover --data DIR --id ID --raft ADDR   (with the node stopped)")
		return errUsage
	}
	if _, _, err := net.SplitHostPort(*raftAddr); err != nil {
		return fmt.Errorf("--raft %q: %w (want host:port)", *raftAddr, err)
	}
	rec, err := node.RecoverCity(*dir, *id, *raftAddr)
	if err != nil {
		return err
	}
	var before []string
	for _, s := range rec.Before {
		before = append(before, fmt.Sprintf("%s at %s", s.ID, s.Address))
	}
	fmt.Printf("recovered %s: the configuration was %s; it is now %s at %s alone\n", *dir, strings.Join(before, ", "), *id, *raftAddr)
	fmt.Printf("last_index:    %d\n", rec.LastIndex)
	fmt.Printf("applied_index: %d\n", rec.Status.AppliedIndex)
	fmt.Printf("state_digest:  %x\n", rec.Status.Digest)
	fmt.Printf("citizens:      %d\n", rec.Status.Citizens)
	fmt.Printf("changes:       %d\n", rec.Status.Changes)
	fmt.Println(`next: start the node with the flags it had (it leads alone), then start each replacement from an
empty data folder with --join pointing at it. Never start a lost node again with its old data.`)
	return nil
}
