package pcsc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// scripted is a fake card link: it checks each command and plays back an
// answer.
type scripted struct {
	t     *testing.T
	steps [][2]string
}

func (s *scripted) send(cmd []byte) ([]byte, error) {
	if len(s.steps) == 0 {
		return nil, errors.New("no more answers")
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	if !bytes.Equal(cmd, h(st[0])) {
		s.t.Errorf("command %X, want %s", cmd, st[0])
	}
	return h(st[1]), nil
}

func TestExchange(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		steps [][2]string
		want  string
	}{
		{"T=1 answer passes", "0084000008", [][2]string{{"0084000008", "01020304050607089000"}}, "01020304050607089000"},
		{"6Cxx retries with Le", "0084000000", [][2]string{{"0084000000", "6C08"}, {"0084000008", "01020304050607089000"}}, "01020304050607089000"},
		{"61xx fetches the rest", "0082000028" + strings.Repeat("00", 40) + "28",
			[][2]string{{"0082000028" + strings.Repeat("00", 40) + "28", "6128"}, {"00C0000028", strings.Repeat("AB", 40) + "9000"}},
			strings.Repeat("AB", 40) + "9000"},
		{"61xx twice", "0CB0000000", [][2]string{{"0CB0000000", "AA6101"}, {"00C0000001", "BB9000"}}, "AABB9000"},
		{"error passes", "00A4020C02011E", [][2]string{{"00A4020C02011E", "6A82"}}, "6A82"},
	}
	for _, tc := range tests {
		s := &scripted{t: t, steps: tc.steps}
		got, err := exchange(s.send, h(tc.cmd))
		if err != nil || !bytes.Equal(got, h(tc.want)) || len(s.steps) != 0 {
			t.Errorf("%s: %X, %v (%d answers left)", tc.name, got, err, len(s.steps))
		}
	}
	endless := func([]byte) ([]byte, error) { return h("6101"), nil }
	if _, err := exchange(endless, h("00B0000001")); err == nil {
		t.Error("endless 61xx accepted")
	}
}
