// Package seal encrypts a stream to an X25519 public key, for files that
// hold what must not be read where they are kept: a city backup holds the
// whole population. Whoever makes the file needs only the public key; the
// private key, kept offline by city IT, is needed to read it.
//
// A sealed stream is
//
//	magic "XNSEAL1\n" | uint32 BE header length | header (JSON) | chunks
//
// The header names the format, the algorithm, the fingerprint of the
// recipient's key (so that the wrong key is named, not guessed at), what
// the content is, the chunk size and the sender's ephemeral X25519 public
// key. The stream key is HKDF-SHA256 of the X25519 shared secret, salted
// with both public keys, with the SHA-256 of the whole header in its
// info: a header altered in any byte gives another key, and the first
// chunk does not open. The content follows in chunks of AES-256-GCM
// (STREAM construction): each chunk holds Chunk bytes of plaintext except
// the last, which holds 0 to Chunk bytes and is marked last in its nonce
// (an 11-byte counter and a last-chunk flag). So a multi-gigabyte stream
// is written and read in one pass with bounded memory, a chunk altered,
// moved or dropped does not open, and a stream cut at any byte, even at a
// chunk boundary, is refused as cut (ErrTruncated).
package seal

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// Format is the version of the sealed stream this package writes and the
// newest it reads.
const Format = 1

// Algorithm names the one construction of Format 1.
const Algorithm = "X25519-HKDF-SHA256-AES-256-GCM-STREAM"

// DefaultChunk is the plaintext bytes per chunk the Writer uses.
const DefaultChunk = 64 << 10

// Bounds a reader accepts.
const (
	maxHeader  = 4 << 10
	minChunk   = 1 << 10
	maxChunk   = 1 << 20
	maxContent = 64
)

var magic = []byte("XNSEAL1\n")

// Errors of the package.
var (
	// ErrFormat: not a sealed stream, or one this version cannot read.
	ErrFormat = errors.New("seal: not a sealed file this xanode can read")
	// ErrWrongKey: the stream is sealed to another key than the one given.
	ErrWrongKey = errors.New("seal: the file is encrypted to another key")
	// ErrDamaged: a chunk does not open: the file was altered or damaged.
	ErrDamaged = errors.New("seal: the file was altered or damaged (authentication failed)")
	// ErrTruncated: the stream ends before its last chunk.
	ErrTruncated = errors.New("seal: the file ends early (an interrupted copy or download)")
)

// Header describes a sealed stream.
type Header struct {
	Format    int    `json:"format"`
	Algorithm string `json:"alg"`
	// Key is the fingerprint of the recipient's public key (Fingerprint).
	Key string `json:"key"`
	// Content says what the plaintext is, e.g. "xanode-city-backup".
	Content string `json:"content"`
	Chunk   int    `json:"chunk"`
	// Ephemeral is the sender's one-time X25519 public key, base64.
	Ephemeral string `json:"ephemeral"`
}

// IsSealed reports whether a stream starting with prefix is sealed (it
// needs len(magic) bytes; fewer say false).
func IsSealed(prefix []byte) bool { return bytes.HasPrefix(prefix, magic) }

// MagicLen is how many bytes IsSealed needs.
var MagicLen = len(magic)

// Fingerprint names a public key: "sha256:" and the hex SHA-256 of its 32
// bytes.
func Fingerprint(pub *ecdh.PublicKey) string {
	sum := sha256.Sum256(pub.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// NewKey makes an X25519 key pair.
func NewKey() (*ecdh.PrivateKey, error) { return ecdh.X25519().GenerateKey(rand.Reader) }

// MarshalPrivateKey is the PEM (PKCS #8) of a private key.
func MarshalPrivateKey(k *ecdh.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey is the PEM (PKIX) of a public key.
func MarshalPublicKey(k *ecdh.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey reads an X25519 private key from PEM.
func ParsePrivateKey(b []byte) (*ecdh.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("seal: no PEM \"PRIVATE KEY\" block (is this the private backup key, backup.key?)")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("seal: private key: %w", err)
	}
	x, ok := k.(*ecdh.PrivateKey)
	if !ok || x.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("seal: the private key is a %T, not X25519", k)
	}
	return x, nil
}

// ParsePublicKey reads an X25519 public key from PEM.
func ParsePublicKey(b []byte) (*ecdh.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("seal: no PEM \"PUBLIC KEY\" block (is this the public backup key, backup.pub?)")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("seal: public key: %w", err)
	}
	x, ok := k.(*ecdh.PublicKey)
	if !ok || x.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("seal: the public key is a %T, not X25519", k)
	}
	return x, nil
}

// streamKey derives the AES-256 key of a stream from the shared secret,
// both public keys and the header as written.
func streamKey(shared, ephemeral, recipient, rawHeader []byte) (cipher.AEAD, error) {
	hsum := sha256.Sum256(rawHeader)
	salt := append(bytes.Clone(ephemeral), recipient...)
	info := append([]byte("xanode seal v1 "), hsum[:]...)
	key, err := hkdf.Key(sha256.New, shared, salt, string(info), 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// nonce is the chunk's counter, big-endian in 11 bytes, and the last
// flag.
func nonce(counter uint64, last bool) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[3:11], counter)
	if last {
		n[11] = 1
	}
	return n
}

// Writer seals what is written to it. Close writes the last chunk: a
// stream not closed reads as cut.
type Writer struct {
	w       io.Writer
	aead    cipher.AEAD
	buf     []byte
	chunk   int
	counter uint64
	err     error
	closed  bool
}

// NewWriter writes the header of a stream sealed to to, whose plaintext
// is content (at most 64 bytes of printable ASCII, e.g.
// "xanode-city-backup"), and returns the Writer of its plaintext.
func NewWriter(w io.Writer, to *ecdh.PublicKey, content string) (*Writer, error) {
	if !validContent(content) {
		return nil, fmt.Errorf("seal: content %q must be 1 to %d printable ASCII bytes", content, maxContent)
	}
	eph, err := NewKey()
	if err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(to)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	h := Header{Format: Format, Algorithm: Algorithm, Key: Fingerprint(to), Content: content, Chunk: DefaultChunk,
		Ephemeral: base64.StdEncoding.EncodeToString(eph.PublicKey().Bytes())}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	raw := append(append(bytes.Clone(magic), binary.BigEndian.AppendUint32(nil, uint32(len(js)))...), js...)
	aead, err := streamKey(shared, eph.PublicKey().Bytes(), to.Bytes(), raw)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	return &Writer{w: w, aead: aead, chunk: h.Chunk, buf: make([]byte, 0, h.Chunk+aead.Overhead())}, nil
}

// Write buffers p and seals every full chunk that more data follows.
func (s *Writer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("seal: write after Close")
	}
	n := 0
	for len(p) > 0 {
		if len(s.buf) == s.chunk {
			// Full, and more follows: this chunk is not the last.
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		k := min(len(p), s.chunk-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
	}
	return n, nil
}

func (s *Writer) flush(last bool) error {
	out := s.aead.Seal(s.buf[:0], nonce(s.counter, last), s.buf, nil)
	s.counter++
	if _, err := s.w.Write(out); err != nil {
		s.err = err
		return err
	}
	s.buf = s.buf[:0]
	return nil
}

// Close seals the last chunk (possibly empty). It does not close the
// underlying writer. Safe to call twice.
func (s *Writer) Close() error {
	if s.closed || s.err != nil {
		return s.err
	}
	s.closed = true
	return s.flush(true)
}

// ReadHeader reads and checks the header at the start of r, returning it
// and its bytes as written. It reads nothing past the header.
func ReadHeader(r io.Reader) (Header, []byte, error) {
	var h Header
	pre := make([]byte, len(magic)+4)
	if _, err := io.ReadFull(r, pre); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return h, nil, fmt.Errorf("%w: the file is shorter than a header", ErrFormat)
		}
		return h, nil, err
	}
	if !IsSealed(pre) {
		return h, nil, fmt.Errorf("%w: no sealed-file signature at the start", ErrFormat)
	}
	n := binary.BigEndian.Uint32(pre[len(magic):])
	if n == 0 || n > maxHeader {
		return h, nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, n)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return h, nil, fmt.Errorf("%w: the header is cut", ErrTruncated)
	}
	var v struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(js, &v); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if v.Format != Format {
		return h, nil, fmt.Errorf("%w: format %d, this xanode reads format %d: use a newer xanode", ErrFormat, v.Format, Format)
	}
	if err := json.Unmarshal(js, &h); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if err := h.check(); err != nil {
		return h, nil, err
	}
	return h, append(pre, js...), nil
}

func (h Header) check() error {
	switch {
	case h.Algorithm != Algorithm:
		return fmt.Errorf("%w: algorithm %.60q, this xanode knows %s", ErrFormat, h.Algorithm, Algorithm)
	case h.Chunk < minChunk || h.Chunk > maxChunk:
		return fmt.Errorf("%w: chunks of %d bytes, want %d to %d", ErrFormat, h.Chunk, minChunk, maxChunk)
	case !validContent(h.Content):
		return fmt.Errorf("%w: content %.80q is not 1 to %d printable ASCII bytes", ErrFormat, h.Content, maxContent)
	case len(h.Key) != len("sha256:")+64 || h.Key[:7] != "sha256:" || !isHex(h.Key[7:]):
		return fmt.Errorf("%w: key fingerprint %.80q is not sha256:<64 hex digits>", ErrFormat, h.Key)
	}
	eph, err := base64.StdEncoding.DecodeString(h.Ephemeral)
	if err != nil || len(eph) != 32 {
		return fmt.Errorf("%w: the ephemeral key is not 32 bytes of base64", ErrFormat)
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && !bytes.ContainsAny([]byte(s), "ABCDEF")
}

func validContent(s string) bool {
	if s == "" || len(s) > maxContent {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Reader opens a sealed stream.
type Reader struct {
	Header  Header
	r       *bufio.Reader
	aead    cipher.AEAD
	in      []byte // one sealed chunk
	out     []byte // its plaintext
	plain   []byte // opened, not yet read
	counter uint64
	done    bool  // the last chunk opened
	err     error // sticky
	offset  int64 // sealed bytes opened after the header
}

// NewReader reads the header of the sealed stream r and checks that it is
// sealed to key; the plaintext is then read from the Reader.
func NewReader(r io.Reader, key *ecdh.PrivateKey) (*Reader, error) {
	h, raw, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if fp := Fingerprint(key.PublicKey()); h.Key != fp {
		return nil, fmt.Errorf("%w: it names key %s, the key given is %s", ErrWrongKey, h.Key, fp)
	}
	ephBytes, _ := base64.StdEncoding.DecodeString(h.Ephemeral)
	eph, err := ecdh.X25519().NewPublicKey(ephBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: ephemeral key: %v", ErrFormat, err)
	}
	shared, err := key.ECDH(eph)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	aead, err := streamKey(shared, ephBytes, key.PublicKey().Bytes(), raw)
	if err != nil {
		return nil, err
	}
	full := h.Chunk + aead.Overhead()
	return &Reader{Header: h, r: bufio.NewReaderSize(r, full+1), aead: aead,
		in: make([]byte, full), out: make([]byte, 0, h.Chunk)}, nil
}

// Read returns plaintext that has been authenticated. After the last
// chunk it returns io.EOF; a stream cut short gives ErrTruncated, an
// altered one ErrDamaged.
func (s *Reader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			s.err = io.EOF
			continue
		}
		s.err = s.next()
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

// next opens the next chunk. A chunk is the last when the stream ends
// right after it.
func (s *Reader) next() error {
	buf := s.in
	n, err := io.ReadFull(s.r, buf)
	last := false
	switch {
	case err == nil:
		if _, perr := s.r.Peek(1); errors.Is(perr, io.EOF) {
			last = true
		} else if perr != nil {
			return perr
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		last, buf = true, buf[:n]
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: it stops after %d bytes of sealed data, where a chunk should follow", ErrTruncated, s.offset)
	default:
		return err
	}
	plain, oerr := s.aead.Open(s.out[:0], nonce(s.counter, last), buf, nil)
	if oerr != nil {
		switch {
		case !last:
			return fmt.Errorf("%w: chunk %d (sealed bytes from %d) does not open", ErrDamaged, s.counter, s.offset)
		case len(buf) == len(s.in):
			if _, err := s.aead.Open(s.out[:0], nonce(s.counter, false), buf, nil); err == nil {
				return fmt.Errorf("%w: it stops after %d bytes of sealed data, where a chunk should follow",
					ErrTruncated, s.offset+int64(len(buf)))
			}
			return fmt.Errorf("%w: the last chunk (sealed bytes from %d) does not open", ErrDamaged, s.offset)
		default:
			return fmt.Errorf("%w in the middle of a chunk, or was altered (%w): the last chunk (sealed bytes from %d) does not open",
				ErrTruncated, ErrDamaged, s.offset)
		}
	}
	s.offset += int64(len(buf))
	s.counter++
	s.plain, s.done = plain, last
	return nil
}
