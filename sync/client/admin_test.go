package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAdminErrorsAreTyped: a node without a leader that cannot forward
// answers 503 naming the leader; the admin client tries the next node,
// and when none can take the request the error says so and still holds
// the last answer's status and leader.
func TestAdminErrorsAreTyped(t *testing.T) {
	var asked int
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"not the leader","leader":"city-2"}`))
	}))
	defer follower.Close()
	a, err := NewAdmin([]string{follower.URL, follower.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.RemoveNode(context.Background(), "city-3")
	var se *StatusError
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRefused) || !errors.As(err, &se) ||
		se.Code != http.StatusServiceUnavailable || se.Leader != "city-2" || se.Reason != "not the leader" || asked != 2 {
		t.Fatalf("%v (%+v), asked %d times", err, se, asked)
	}
}
