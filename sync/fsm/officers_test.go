package fsm

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func officerAdd(user, name, role string, seed byte) *Command {
	return &Command{Kind: KindOfficer, Received: t0, Officer: &OfficerOp{By: "admin",
		OfficerAccount: OfficerAccount{Commune: commune, User: user, Name: name, Role: role,
			Salt: bytes.Repeat([]byte{seed}, 16), Hash: bytes.Repeat([]byte{seed + 1}, 32), Time: 3, Memory: 64 << 10, Threads: 2}}}
}

func officerDisable(comm, user string) *Command {
	return &Command{Kind: KindOfficer, Received: t0.Add(time.Hour), Officer: &OfficerOp{OfficerAccount: OfficerAccount{Commune: comm, User: user, Disabled: true}, By: "admin"}}
}

// TestOfficerCommands walks a commune's accounts through add, replace and
// disable: each stores the account, advances the commune's subset version
// to its index and tells the observers; a refused one changes nothing.
func TestOfficerCommands(t *testing.T) {
	l := seededBare(t)
	var events []Event
	l.f.Observe(func(evs []Event) { events = append(events, evs...) })
	type want struct {
		user, name, role string
		disabled         bool
		seed             byte
	}
	steps := []struct {
		name string
		cmd  *Command
		err  error
		list []want
	}{
		{"add", officerAdd("lan", "Trần Thị Lan", "officer", 1), nil,
			[]want{{"lan", "Trần Thị Lan", "officer", false, 1}}},
		{"add another", officerAdd("hung", "Lê Văn Hùng", "supervisor", 5), nil,
			[]want{{"hung", "Lê Văn Hùng", "supervisor", false, 5}, {"lan", "Trần Thị Lan", "officer", false, 1}}},
		{"replace: new password and role", officerAdd("lan", "Trần Thị Lan", "supervisor", 9), nil,
			[]want{{"hung", "Lê Văn Hùng", "supervisor", false, 5}, {"lan", "Trần Thị Lan", "supervisor", false, 9}}},
		{"disable", officerDisable(commune, "lan"), nil,
			[]want{{"hung", "Lê Văn Hùng", "supervisor", false, 5}, {"lan", "Trần Thị Lan", "supervisor", true, 0}}},
		{"disable unknown", officerDisable(commune, "ai-do"), ErrOfficerUnknown,
			[]want{{"hung", "Lê Văn Hùng", "supervisor", false, 5}, {"lan", "Trần Thị Lan", "supervisor", true, 0}}},
		{"disable in another commune", officerDisable(other, "hung"), ErrOfficerUnknown,
			[]want{{"hung", "Lê Văn Hùng", "supervisor", false, 5}, {"lan", "Trần Thị Lan", "supervisor", true, 0}}},
		{"enable again", officerAdd("lan", "Trần Thị Lan", "officer", 3), nil,
			[]want{{"hung", "Lê Văn Hùng", "supervisor", false, 5}, {"lan", "Trần Thị Lan", "officer", false, 3}}},
	}
	for _, s := range steps {
		before, _ := l.f.SubsetVersion(commune)
		events = nil
		res := l.apply(t, s.cmd)
		err, _ := res.(error)
		if !errors.Is(err, s.err) || (s.err == nil) != (res == nil) {
			t.Fatalf("%s: response %v, want %v", s.name, res, s.err)
		}
		list, version, rerr := l.f.Officers(commune)
		if rerr != nil {
			t.Fatal(rerr)
		}
		wantVersion := l.index
		if s.err != nil {
			wantVersion = before
			if len(events) != 0 {
				t.Fatalf("%s: refused, yet observers heard %+v", s.name, events)
			}
		} else if len(events) != 1 || !reflect.DeepEqual(events[0], Event{Kind: EventSubset, Commune: commune, Version: l.index}) {
			t.Fatalf("%s: events %+v, want the subset of %s at %d", s.name, events, commune, l.index)
		}
		if v, _ := l.f.SubsetVersion(commune); v != wantVersion || version != wantVersion {
			t.Fatalf("%s: subset version %d (read with the officers: %d), want %d", s.name, v, version, wantVersion)
		}
		if len(list) != len(s.list) {
			t.Fatalf("%s: %d officers, want %d", s.name, len(list), len(s.list))
		}
		for i, w := range s.list {
			o := list[i]
			if o.User != w.user || o.Name != w.name || o.Role != w.role || o.Disabled != w.disabled || o.Commune != commune || o.By != "admin" {
				t.Fatalf("%s: officer %d is %+v, want %+v", s.name, i, o, w)
			}
			if w.disabled != (o.Hash == nil) || !w.disabled && o.Salt[0] != w.seed {
				t.Fatalf("%s: %s keeps hash %x salt %x", s.name, o.User, o.Hash, o.Salt)
			}
			b := o.Bundle()
			if err := b.Check(); err != nil {
				t.Fatalf("%s: stored account cannot travel in a bundle: %v", s.name, err)
			}
		}
	}
	if list, v, _ := l.f.Officers(other); len(list) != 0 || v == 0 {
		t.Fatalf("commune %s: %d officers at version %d", other, len(list), v)
	}
}

// TestOfficerAdvancesDelta: an account change moves the version without
// changing a record, and the delta to the new version is empty but goes
// there; record changes after it still show.
func TestOfficerAdvancesDelta(t *testing.T) {
	l := seeded(t)
	v0, _ := l.f.SubsetVersion(commune)
	l.apply(t, officerAdd("lan", "Trần Thị Lan", "officer", 1))
	d, err := l.f.SubsetDelta(commune, v0)
	if err != nil {
		t.Fatal(err)
	}
	if d.From != v0 || d.To != l.index || len(d.Upserts)+len(d.Removed) != 0 {
		t.Fatalf("delta over an account change: %+v", d)
	}
	v1 := d.To
	l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))
	l.apply(t, officerDisable(commune, "lan"))
	d, _ = l.f.SubsetDelta(commune, v1)
	if d.To != l.index || len(d.Upserts) != 1 || d.Upserts[0].ID != idAn {
		t.Fatalf("delta over a change and an account change: %+v", d)
	}
}

// TestOfficerCommandCheck: what could not travel in a bundle is refused
// when decoded, and applying its bytes changes nothing.
func TestOfficerCommandCheck(t *testing.T) {
	mutate := func(f func(*OfficerOp)) *Command {
		c := officerAdd("lan", "Trần Thị Lan", "officer", 1)
		f(c.Officer)
		return c
	}
	bad := map[string]*Command{
		"no payload":           {Kind: KindOfficer, Received: t0},
		"bad commune":          mutate(func(o *OfficerOp) { o.Commune = "abc" }),
		"upper-case user":      mutate(func(o *OfficerOp) { o.User = "Lan" }),
		"user with a space":    mutate(func(o *OfficerOp) { o.User = "tran lan" }),
		"long user":            mutate(func(o *OfficerOp) { o.User = strings.Repeat("a", 33) }),
		"empty user":           mutate(func(o *OfficerOp) { o.User = "" }),
		"long name":            mutate(func(o *OfficerOp) { o.Name = strings.Repeat("x", 129) }),
		"no name":              mutate(func(o *OfficerOp) { o.Name = "" }),
		"bad role":             mutate(func(o *OfficerOp) { o.Role = "admin" }),
		"short salt":           mutate(func(o *OfficerOp) { o.Salt = o.Salt[:4] }),
		"long hash":            mutate(func(o *OfficerOp) { o.Hash = make([]byte, 65) }),
		"memory below 19 MiB":  mutate(func(o *OfficerOp) { o.Memory = 19<<10 - 1 }),
		"memory above 1 GiB":   mutate(func(o *OfficerOp) { o.Memory = 1<<20 + 1 }),
		"no passes":            mutate(func(o *OfficerOp) { o.Time = 0 }),
		"eleven passes":        mutate(func(o *OfficerOp) { o.Time = 11 }),
		"no threads":           mutate(func(o *OfficerOp) { o.Threads = 0 }),
		"long author":          mutate(func(o *OfficerOp) { o.By = strings.Repeat("a", 129) }),
		"disable with a hash":  mutate(func(o *OfficerOp) { o.Disabled = true; o.Name, o.Role = "", "" }),
		"disable with a name":  {Kind: KindOfficer, Received: t0, Officer: &OfficerOp{OfficerAccount: OfficerAccount{Commune: commune, User: "lan", Name: "Lan", Disabled: true}}},
		"disable without user": officerDisable(commune, ""),
	}
	l := seededBare(t)
	before, _ := l.f.Status()
	for name, c := range bad {
		data := c.Encode()
		if _, err := DecodeCommand(data); !errors.Is(err, ErrCommand) {
			t.Errorf("%s: decoded: %v", name, err)
		}
		l.index++
		if res := l.f.Apply(&raft.Log{Index: l.index, Type: raft.LogCommand, Data: data}); res == nil {
			t.Errorf("%s: applied", name)
		}
	}
	for name, raw := range map[string]string{
		"unknown field": `{"commune":"31117","user":"lan","disabled":true,"evil":1}`,
		"trailing data": `{"commune":"31117","user":"lan","disabled":true} {}`,
		"not JSON":      `lan`,
	} {
		if _, err := DecodeCommand(append([]byte{byte(KindOfficer), 1}, raw...)); !errors.Is(err, ErrCommand) {
			t.Errorf("%s: %v", name, err)
		}
	}
	after, _ := l.f.Status()
	list, _, _ := l.f.Officers(commune)
	if after.Digest != before.Digest || len(list) != 0 {
		t.Fatalf("refused commands changed the state: %d officers", len(list))
	}
	if c, err := DecodeCommand(officerAdd("lan", "Trần Thị Lan", "officer", 1).Encode()); err != nil || c.Officer.User != "lan" {
		t.Fatalf("a good command: %v", err)
	}
}

// TestOfficerReplicasAgree replays the same account log on two FSMs, one
// restored from the other's snapshot halfway: the digests and the
// accounts agree, and the digest moved with every account change.
func TestOfficerReplicasAgree(t *testing.T) {
	cmds := []*Command{
		officerAdd("lan", "Trần Thị Lan", "officer", 1),
		officerAdd("hung", "Lê Văn Hùng", "supervisor", 5),
		officerDisable(commune, "lan"),
		officerAdd("lan", "Trần Thị Lan", "officer", 7),
	}
	a, b := seededBare(t), seededBare(t)
	seen := map[[32]byte]bool{}
	for i, c := range cmds {
		a.apply(t, c)
		st, _ := a.f.Status()
		if seen[st.Digest] {
			t.Fatalf("command %d left the digest where it was before", i)
		}
		seen[st.Digest] = true
		switch {
		case i == 1:
			snap, err := a.f.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			restoreInto(t, b.f, snap)
			b.index = a.index
			snap.Release()
		case i > 1:
			b.apply(t, c)
		}
	}
	sa, _ := a.f.Status()
	sb, _ := b.f.Status()
	if sa.Digest != sb.Digest {
		t.Fatal("replicas differ")
	}
	la, va, _ := a.f.Officers(commune)
	lb, vb, _ := b.f.Officers(commune)
	if !reflect.DeepEqual(la, lb) || va != vb || va != a.index {
		t.Fatalf("accounts differ: %+v at %d, %+v at %d", la, va, lb, vb)
	}
}
