package edge

import (
	"context"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/bundle"
)

// TestChangePassword: a local account takes the new hash; a city account
// gets a box-local password that stays while the city's hash is the one
// it replaced, and goes when city IT sets a new one.
func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	if err := s.PutOfficer("ketoan", "Phạm Thu", "officer", "mật khẩu cũ 123"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangePassword(ctx, "ketoan", "sai mật khẩu", "mật khẩu mới 456"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("wrong current password: %v", err)
	}
	if _, err := s.ChangePassword(ctx, "ketoan", "mật khẩu cũ 123", "ngắn"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := s.ChangePassword(ctx, "ketoan", "mật khẩu cũ 123", "mật khẩu cũ 123"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("same password: %v", err)
	}
	stamp, _ := s.OfficerStamp("ketoan")
	if _, err := s.ChangePassword(ctx, "ketoan", "mật khẩu cũ 123", "mật khẩu mới 456"); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.OfficerStamp("ketoan"); after == stamp {
		t.Error("the account's stamp did not change: sessions would survive the change")
	}
	mustLogin := func(user, pw string, want bool) {
		t.Helper()
		_, err := s.Authenticate(ctx, user, pw)
		if (err == nil) != want {
			t.Errorf("login %s with %q: %v, want success %v", user, pw, err, want)
		}
	}
	mustLogin("ketoan", "mật khẩu mới 456", true)
	mustLogin("ketoan", "mật khẩu cũ 123", false)

	install := func(list ...bundle.Officer) {
		t.Helper()
		if err := s.db.Update(func(tx *bolt.Tx) error { return s.installOfficers(tx, list) }); err != nil {
			t.Fatal(err)
		}
	}
	lan := cityOfficer(t, "lan", "Nguyễn Thị Lan", "officer", "mật khẩu thành phố")
	install(lan)
	if _, err := s.ChangePassword(ctx, "lan", "mật khẩu thành phố", "mật khẩu của lan"); err != nil {
		t.Fatal(err)
	}
	mustLogin("lan", "mật khẩu của lan", true)
	mustLogin("lan", "mật khẩu thành phố", false)
	install(lan) // the next bundle, the same city hash: the local password stays
	mustLogin("lan", "mật khẩu của lan", true)
	install(cityOfficer(t, "lan", "Nguyễn Thị Lan", "officer", "đặt lại bởi thành phố")) // city IT reset it
	mustLogin("lan", "đặt lại bởi thành phố", true)
	mustLogin("lan", "mật khẩu của lan", false)
}
