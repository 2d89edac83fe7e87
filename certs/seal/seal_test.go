package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func mustKey(t testing.TB) *ecdh.PrivateKey {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func seal(t testing.TB, to *ecdh.PublicKey, plain []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, to, "xanode-city-backup")
	if err != nil {
		t.Fatal(err)
	}
	// Odd write sizes cross chunk boundaries every way.
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 1+len(rest)%7919)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	return out.Bytes()
}

func open(key *ecdh.PrivateKey, sealed []byte) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(sealed), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(iotest.HalfReader(r))
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestRoundTrip(t *testing.T) {
	key := mustKey(t)
	for _, n := range []int{0, 1, DefaultChunk - 1, DefaultChunk, DefaultChunk + 1, 3 * DefaultChunk, 3*DefaultChunk + 12345} {
		plain := random(n)
		sealed := seal(t, key.PublicKey(), plain)
		if bytes.Contains(sealed, plain[:min(n, 64)]) && n >= 16 {
			t.Errorf("%d bytes: the plaintext shows in the sealed stream", n)
		}
		got, err := open(key, sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
}

// TestRefusals: the wrong key is named, and a stream cut at any point or
// altered in any byte gives no plaintext past what was authenticated and
// an error.
func TestRefusals(t *testing.T) {
	key := mustKey(t)
	plain := random(2*DefaultChunk + 100)
	sealed := seal(t, key.PublicKey(), plain)
	hdr, raw, err := ReadHeader(bytes.NewReader(sealed))
	if err != nil || hdr.Content != "xanode-city-backup" || hdr.Key != Fingerprint(key.PublicKey()) {
		t.Fatalf("header %+v: %v", hdr, err)
	}
	full := hdr.Chunk + 16

	if _, err := open(mustKey(t), sealed); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v", err)
	}
	cuts := map[string]int{
		"inside the header":              len(raw) - 3,
		"right after the header":         len(raw),
		"inside the first chunk":         len(raw) + 100,
		"at the first chunk boundary":    len(raw) + full,
		"at the second chunk boundary":   len(raw) + 2*full,
		"inside the last chunk":          len(sealed) - 1,
		"one byte into the second chunk": len(raw) + full + 1,
	}
	for name, at := range cuts {
		got, err := open(key, sealed[:at])
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("cut %s: %v", name, err)
		}
		if !bytes.HasPrefix(plain, got) {
			t.Errorf("cut %s: gave bytes that are not the plaintext", name)
		}
	}
	for _, at := range []int{5, 10, len(raw) - 10, len(raw) + 3, len(raw) + full + 7, len(sealed) - 1} {
		bad := bytes.Clone(sealed)
		bad[at] ^= 0x20
		if _, err := open(key, bad); err == nil {
			t.Errorf("byte %d altered: opened", at)
		}
	}
	// Chunks swapped, and a chunk dropped with the rest kept.
	swapped := append(bytes.Clone(sealed[:len(raw)]), sealed[len(raw)+full:len(raw)+2*full]...)
	swapped = append(append(swapped, sealed[len(raw):len(raw)+full]...), sealed[len(raw)+2*full:]...)
	if _, err := open(key, swapped); !errors.Is(err, ErrDamaged) {
		t.Errorf("chunks swapped: %v", err)
	}
	dropped := append(bytes.Clone(sealed[:len(raw)]), sealed[len(raw)+full:]...)
	if _, err := open(key, dropped); !errors.Is(err, ErrDamaged) {
		t.Errorf("a chunk dropped: %v", err)
	}
	if _, err := open(key, append(bytes.Clone(sealed), 0)); err == nil {
		t.Error("a byte after the last chunk: opened")
	}
	if _, err := open(key, []byte("(\xb5/\xfd plain zstd backup")); !errors.Is(err, ErrFormat) || IsSealed([]byte("(\xb5/\xfd")) {
		t.Errorf("a plain file: %v", err)
	}
}

func TestKeysPEM(t *testing.T) {
	key := mustKey(t)
	privPEM, err := MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := MarshalPublicKey(key.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil || !priv.Equal(key) {
		t.Fatalf("private key: %v", err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil || !pub.Equal(key.PublicKey()) {
		t.Fatalf("public key: %v", err)
	}
	if _, err := ParsePublicKey(privPEM); err == nil {
		t.Error("a private key read as the public one")
	}
	if _, err := ParsePrivateKey(pubPEM); err == nil {
		t.Error("a public key read as the private one")
	}
}

// FuzzReadHeader: any bytes give a header that passes its checks or an
// error, never a panic, and never more than the header's bytes read.
func FuzzReadHeader(f *testing.F) {
	key, _ := NewKey()
	var good bytes.Buffer
	w, _ := NewWriter(&good, key.PublicKey(), "xanode-city-backup")
	w.Close()
	f.Add(good.Bytes())
	f.Add([]byte("XNSEAL1\n\x00\x00\x00\x02{}"))
	f.Add([]byte("XNSEAL1\n\xff\xff\xff\xff"))
	f.Add([]byte(`XNSEAL1` + "\n\x00\x00\x00\x10" + `{"format":2}    `))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		h, raw, err := ReadHeader(r)
		if err != nil {
			return
		}
		if h.check() != nil || !IsSealed(raw) || int(binary.BigEndian.Uint32(raw[len(magic):])) != len(raw)-len(magic)-4 {
			t.Fatalf("accepted header %+v from %q", h, raw)
		}
		if consumed := len(b) - r.Len(); consumed != len(raw) {
			t.Fatalf("read %d bytes for a header of %d", consumed, len(raw))
		}
		NewReader(bytes.NewReader(b), key)
	})
}
