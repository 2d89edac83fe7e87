package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/vault"
)

// The edge's key custody on the command line: the tools that work on a
// stopped box's data folder open its key slots first (an officer's
// password, the TPM, or the city), and `edge backup`/`edge restore` move a
// box's folder without a plain key.

// unlockFlags are the flags of the tools that open a stopped box's slots.
type unlockFlags struct {
	officer *string
	tpm     *bool
	noCity  *bool
}

func addUnlockFlags(fs *flag.FlagSet) unlockFlags {
	return unlockFlags{
		officer: fs.String("officer", "", "open the key slots with this officer's password (from XANODE_OFFICER_PASSWORD, or standard input)"),
		tpm:     fs.Bool("tpm", false, "open the key slots with the box's TPM"),
		noCity:  fs.Bool("no-city", false, "do not ask the city to open the box's city key slot"),
	}
}

// open opens the key slots of the data folder dir. stdinFree says whether
// standard input may carry the officer's password.
func (u unlockFlags) open(ctx context.Context, dir string, stdinFree bool) (*node.Opened, node.Unlock, error) {
	var ul node.Unlock
	ul.Officer, ul.NoCity = *u.officer, *u.noCity
	if ul.Officer != "" {
		ul.Password = os.Getenv("XANODE_OFFICER_PASSWORD")
		if ul.Password == "" && stdinFree {
			line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
			ul.Password = strings.TrimRight(line, "\r\n")
		}
		if ul.Password == "" {
			return nil, ul, errors.New("--officer needs the officer's password in XANODE_OFFICER_PASSWORD")
		}
	}
	if *u.tpm {
		t, err := vault.DetectTPM()
		if err != nil {
			return nil, ul, err
		}
		ul.TPM = t
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	o, err := node.OpenOffline(ctx, dir, ul)
	return o, ul, err
}

// edgeRekey rotates a stopped box's data key.
func edgeRekey(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge rekey", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (the edge must not be running)")
	uf := addUnlockFlags(fs)
	if err := fs.Parse(args); err != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge rekey --data DIR [--officer USER | --tpm | (the city)]   (with the edge stopped)")
		return errUsage
	}
	o, ul, err := uf.open(ctx, *dir, true)
	if err != nil {
		return err
	}
	defer o.Close()
	dropped, err := o.Rekey(ul)
	if err != nil {
		return err
	}
	fmt.Printf("data key of %s rotated (opened with: %s): the store was rewritten under a new key; old copies of its pages cannot be decrypted any more\n", o.ID.Node, o.How)
	if dropped > 0 {
		fmt.Printf("%d officer key slot(s) dropped: their passwords are not known here; each officer's next login makes them again\n", dropped)
	}
	if o.CitySecret == nil {
		fmt.Println("the city key slot is new: the edge escrows it with the city at its next start (until then an officer's login or the TPM opens the box)")
	}
	return nil
}

// edgeBackup writes a box's backup: from the running edge (a consistent
// read transaction of its store, asked from the box itself), or from the files
// of a stopped one.
func edgeBackup(args []string) error {
	fs := flag.NewFlagSet("edge backup", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder")
	out := fs.String("out", "", "archive to write")
	if err := fs.Parse(args); err != nil || *dir == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge backup --data DIR --out FILE")
		return errUsage
	}
	how, err := node.BackupEdgeFile(*dir, *out)
	if err != nil {
		return err
	}
	st, _ := os.Stat(*out)
	fmt.Printf("backup of %s written to %s (%d bytes, from the %s): store, key slots and sealed keys, no plain key\n", *dir, *out, st.Size(), how)
	return nil
}

// edgeRestore puts a backup on a new box. When the archive holds the
// officer UI's key (sealed), it opens the key slots at once to put it
// back, so that the box serves HTTPS from its first start: a box without
// its UI key would serve plain HTTP, which it refuses beyond loopback.
func edgeRestore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge restore", flag.ContinueOnError)
	file := fs.String("file", "", "archive written by xanode edge backup")
	dir := fs.String("data", "", "the new box's data folder (empty)")
	uf := addUnlockFlags(fs)
	if err := fs.Parse(args); err != nil || *dir == "" || *file == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge restore --file FILE --data DIR [--officer USER | --tpm | --no-city]")
		return errUsage
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	nodeID, commune, err := node.RestoreBackup(f, *dir)
	if err != nil {
		return err
	}
	fmt.Printf("edge %s (commune %s) restored into %s: start it with `xanode edge --data %s`; it unlocks through the city, or when an officer who had logged in on the old box logs in\n",
		nodeID, commune, *dir, *dir)
	if node.HasSealedUIKey(*dir) {
		if err := unsealUIKey(ctx, uf, *dir); err != nil {
			fmt.Printf("the officer UI's key stays sealed (%v): until it is put back the box serves plain HTTP, on 127.0.0.1 only "+
				"(or with --insecure-http); run `xanode edge unseal-ui-key --data %s` once a key slot can be opened, "+
				"or start the edge on 127.0.0.1 and let it unlock\n", err, *dir)
		}
	}
	return nil
}

// edgeUnsealUIKey puts back the officer UI's key of a restored box.
func edgeUnsealUIKey(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge unseal-ui-key", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (the edge must not be running)")
	uf := addUnlockFlags(fs)
	if err := fs.Parse(args); err != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge unseal-ui-key --data DIR [--officer USER | --tpm | (the city)]   (with the edge stopped)")
		return errUsage
	}
	if !node.HasSealedUIKey(*dir) {
		fmt.Printf("%s holds no sealed UI key: nothing to do\n", *dir)
		return nil
	}
	return unsealUIKey(ctx, uf, *dir)
}

func unsealUIKey(ctx context.Context, uf unlockFlags, dir string) error {
	o, _, err := uf.open(ctx, dir, true)
	if err != nil {
		return err
	}
	defer o.Close()
	if _, err := o.RestoreUIKey(); err != nil {
		return err
	}
	fmt.Printf("the officer UI's key is back in %s (opened with: %s): the edge serves HTTPS from its next start\n", dir, o.How)
	return nil
}
