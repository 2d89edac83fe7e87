package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
)

const officerUsage = `usage: xanode fleet --city URL --pki DIR officer add --commune CODE --user U --name NAME [--role officer|supervisor]
       xanode fleet --city URL --pki DIR officer disable --commune CODE --user U
       xanode fleet --city URL --pki DIR officers --commune CODE
(the password of 'officer add' comes from XANODE_PASSWORD or the first line of standard input)`

// fleetOfficers runs the officer account commands. The password is
// hashed here, with the edge's Argon2id parameters: the city stores and
// forwards the hash, never the password.
func fleetOfficers(ctx context.Context, cityURL, pkiDir string, args []string) error {
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	switch {
	case args[0] == "officer" && len(args) > 1 && args[1] == "add":
		return officerAdd(ctx, city, args[2:], os.Stdin)
	case args[0] == "officer" && len(args) > 1 && args[1] == "disable":
		return officerDisable(ctx, city, args[2:])
	case args[0] == "officers":
		return officerList(ctx, city, args[1:])
	}
	fmt.Fprintln(os.Stderr, officerUsage)
	return errUsage
}

func officerAdd(ctx context.Context, city *client.Admin, args []string, stdin io.Reader) error {
	fs := flag.NewFlagSet("fleet officer add", flag.ContinueOnError)
	commune := fs.String("commune", "", "commune code the officer works for")
	user := fs.String("user", "", "login name: 1 to 32 of a-z, 0-9, '.', '_', '-'")
	name := fs.String("name", "", "full name, e.g. Nguyễn Thị Lan")
	role := fs.String("role", "officer", "officer or supervisor")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *commune == "" || *user == "" || *name == "" {
		fmt.Fprintln(os.Stderr, officerUsage)
		return errUsage
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	ph, err := edge.HashPassword(password)
	if err != nil {
		return err
	}
	req := api.OfficerRequest{Commune: *commune, User: *user, Name: *name, Role: *role,
		Salt: ph.Salt, Hash: ph.Hash, Time: ph.Time, Memory: ph.Memory, Threads: ph.Threads}
	list, err := city.SetOfficer(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("officer %s (%s) set for commune %s; its edges receive it with subset version %d\n",
		*user, *role, *commune, list.SubsetVersion)
	return nil
}

func officerDisable(ctx context.Context, city *client.Admin, args []string) error {
	fs := flag.NewFlagSet("fleet officer disable", flag.ContinueOnError)
	commune := fs.String("commune", "", "commune code")
	user := fs.String("user", "", "login name")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *commune == "" || *user == "" {
		fmt.Fprintln(os.Stderr, officerUsage)
		return errUsage
	}
	list, err := city.SetOfficer(ctx, api.OfficerRequest{Commune: *commune, User: *user, Disabled: true})
	if err != nil {
		return err
	}
	fmt.Printf("officer %s of commune %s disabled; its sessions end and logins are refused once the edges hold subset version %d\n",
		*user, *commune, list.SubsetVersion)
	return nil
}

func officerList(ctx context.Context, city *client.Admin, args []string) error {
	fs := flag.NewFlagSet("fleet officers", flag.ContinueOnError)
	commune := fs.String("commune", "", "commune code")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *commune == "" {
		fmt.Fprintln(os.Stderr, officerUsage)
		return errUsage
	}
	list, err := city.Officers(ctx, *commune)
	if err != nil {
		return err
	}
	fmt.Printf("commune %s, subset version %d: %d accounts\n", list.Commune, list.SubsetVersion, len(list.Officers))
	fmt.Printf("%-20s %-10s %-8s %-20s %-20s %s\n", "USER", "ROLE", "STATE", "CHANGED", "BY", "NAME")
	for _, o := range list.Officers {
		state := "active"
		if o.Disabled {
			state = "disabled"
		}
		fmt.Printf("%-20s %-10s %-8s %-20s %-20s %s\n", o.User, o.Role, state, o.Changed.Local().Format(time.DateTime), o.By, o.Name)
	}
	return nil
}

// readPassword takes the password from XANODE_PASSWORD or the first line
// of stdin, never from the command line (it would show in ps and in the
// shell's history).
func readPassword(stdin io.Reader) (string, error) {
	if p := os.Getenv("XANODE_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", fmt.Errorf("no password: set XANODE_PASSWORD or give it as the first line of standard input (%w)", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
