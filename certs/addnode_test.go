package certs

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestAddCityNode(t *testing.T) {
	dir := t.TempDir()
	p, err := Init(dir, InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.AddCityNode("city-4", []string{"10.20.0.14", "city-4.xanode.internal"}, 0, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.TLS.Leaf.DNSNames, "city-4.xanode.internal") || len(c.TLS.Leaf.IPAddresses) != 3 {
		t.Fatalf("hosts: %v %v", c.TLS.Leaf.DNSNames, c.TLS.Leaf.IPAddresses)
	}
	if _, err := p.AddCityNode("city-4", nil, 0, false, time.Now()); !errors.Is(err, ErrExists) {
		t.Fatalf("issued twice without replace: %v", err)
	}
	if _, err := p.AddCityNode("city-4", []string{"10.20.0.44"}, 0, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A fresh Load sees the new node, with its replaced certificate.
	q, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.CityNodes(), []string{"city-1", "city-4"}) {
		t.Fatalf("city nodes after adding: %v", q.CityNodes())
	}
	cert, _ := q.Node("city-4")
	if got := cert.Leaf.IPAddresses; len(got) != 3 || got[2].String() != "10.20.0.44" {
		t.Fatalf("replaced certificate's addresses: %v", got)
	}
	if _, err := p.AddCityNode("../evil", nil, 0, false, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad node ID: %v", err)
	}
}
