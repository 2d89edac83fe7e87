package main

import (
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/xanode/xanode/sync/api"
)

func TestParseFindings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		q    *api.FindingsQuery
		r    *api.FindingReview
	}{
		{[]string{"findings"}, &api.FindingsQuery{Limit: 100}, nil},
		{[]string{"findings", "--commune", "92101", "--rule", "duplicate", "--state", "open", "--state", "confirmed", "--limit", "5"},
			&api.FindingsQuery{Commune: "92101", Rule: "duplicate", States: []string{"open", "confirmed"}, Limit: 5}, nil},
		{[]string{"finding", "17", "dismiss", "giấy tờ đúng"}, nil, &api.FindingReview{ID: 17, Action: "dismiss", Reason: "giấy tờ đúng"}},
		{[]string{"finding", "9", "merge", "092090001234", "cùng một người"}, nil,
			&api.FindingReview{ID: 9, Action: "merge", Keep: "092090001234", Reason: "cùng một người"}},
		{[]string{"findings", "extra"}, nil, nil},
		{[]string{"findings", "--limit", "0"}, nil, nil},
		{[]string{"finding", "x", "confirm", "lý do"}, nil, nil},
		{[]string{"finding", "0", "confirm", "lý do"}, nil, nil},
		{[]string{"finding", "3", "confirm"}, nil, nil},
		{[]string{"finding", "3", "confirm", ""}, nil, nil},
		{[]string{"finding", "3", "merge", "lý do"}, nil, nil},
		{[]string{"finding", "3", "delete", "lý do"}, nil, nil},
	} {
		q, r, err := parseFindings(tc.args, io.Discard)
		if tc.q == nil && tc.r == nil {
			if !errors.Is(err, errUsage) {
				t.Errorf("%q: %v, want the usage", tc.args, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(q, tc.q) || !reflect.DeepEqual(r, tc.r) {
			t.Errorf("%q: %+v %+v %v", tc.args, q, r, err)
		}
	}
}
