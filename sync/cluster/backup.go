package cluster

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/sync/fsm"
)

// A backup file is one zstd stream of
//
//	magic "XNCBKUP\n" | uint32 BE header length | header (JSON) |
//	state (header.StateBytes bytes: the FSM's bbolt file) |
//	SHA-256 of everything before it (32 bytes)
//
// The header comes first so that a reader can refuse a format it does not
// know before reading gigabytes; the checksum comes last so that a running
// node can stream the state without a first pass over it. The state is
// fsm.Backup's view: one bbolt read transaction, whose applied index and
// digest the header records.

// BackupFormat is the version of the backup file this code writes and the
// newest it reads. Bump it for any change a reader of the old format would
// misread, and keep reading the old ones.
const BackupFormat = 1

var backupMagic = []byte("XNCBKUP\n")

// maxHeaderBytes bounds the header a reader accepts.
const maxHeaderBytes = 64 << 10

// Backup errors.
var (
	// ErrBackupDamaged: the checksum does not match, or the compressed
	// data does not decode: the file was altered or corrupted on disk or
	// in transfer.
	ErrBackupDamaged = errors.New("cluster: backup is damaged (checksum mismatch): use another copy or take a new backup")
	ErrBackupFormat  = errors.New("cluster: not a backup this xanode can read")
	ErrBackupCut     = errors.New("cluster: backup ends early (an interrupted download or copy)")
)

// BackupHeader describes a backup.
type BackupHeader struct {
	Format       int       `json:"format"`
	Node         string    `json:"node"`  // the city node it was taken from
	Taken        time.Time `json:"taken"` // that node's clock
	AppliedIndex uint64    `json:"applied_index"`
	// Term is the raft term of the node when the backup was taken (0:
	// unknown). Information only: a cluster restored from the backup
	// starts terms afresh, and continues indexes above AppliedIndex.
	Term        uint64 `json:"term,omitempty"`
	Citizens    uint64 `json:"citizens"`
	Changes     uint64 `json:"changes"`
	StateDigest string `json:"state_digest"` // hex, as in GET /v1/status
	StateBytes  int64  `json:"state_bytes"`
}

// Backup is a consistent backup about to be written. Close it once done.
type Backup struct {
	Header BackupHeader
	state  *fsm.Backup
}

// NewBackup opens a consistent view of f for a backup, described as taken
// from node at now, in raft term term (0 if unknown).
func NewBackup(f *fsm.FSM, node string, term uint64, now time.Time) (*Backup, error) {
	st, err := f.Backup()
	if err != nil {
		return nil, err
	}
	return &Backup{state: st, Header: BackupHeader{
		Format: BackupFormat, Node: node, Taken: now.UTC(), Term: term,
		AppliedIndex: st.Status.AppliedIndex, Citizens: st.Status.Citizens, Changes: st.Status.Changes,
		StateDigest: hex.EncodeToString(st.Status.Digest[:]), StateBytes: st.Size,
	}}, nil
}

// Term is the node's current raft term.
func (n *Node) Term() uint64 { return n.raft.CurrentTerm() }

// WriteTo writes the backup file, compressed, to w. It returns the
// compressed bytes written.
func (b *Backup) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	enc, err := zstd.NewWriter(cw, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return 0, err
	}
	// On failure the frame is left unfinished, so that a reader sees a
	// cut stream rather than a complete-looking one.
	fail := func(err error) (int64, error) {
		enc.Reset(io.Discard)
		enc.Close()
		return cw.n, fmt.Errorf("cluster: write backup: %w", err)
	}
	sum := sha256.New()
	out := io.MultiWriter(enc, sum)
	hdr, err := json.Marshal(b.Header)
	if err != nil {
		return fail(err)
	}
	pre := append(append(bytes.Clone(backupMagic), binary.BigEndian.AppendUint32(nil, uint32(len(hdr)))...), hdr...)
	if _, err := out.Write(pre); err != nil {
		return fail(err)
	}
	n, err := b.state.WriteTo(out)
	if err == nil && n != b.Header.StateBytes {
		err = fmt.Errorf("state was %d bytes, expected %d", n, b.Header.StateBytes)
	}
	if err != nil {
		return fail(err)
	}
	if _, err := enc.Write(sum.Sum(nil)); err != nil {
		return fail(err)
	}
	if err := enc.Close(); err != nil {
		return cw.n, fmt.Errorf("cluster: write backup: %w", err)
	}
	return cw.n, nil
}

// Close releases the view of the state. Safe to call twice.
func (b *Backup) Close() error { return b.state.Close() }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// errWriter keeps the first write error, to tell it from a read error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// BackupReader reads a backup file: the header at once, then the state.
type BackupReader struct {
	Header BackupHeader
	dec    *zstd.Decoder
	r      io.Reader // the decompressed stream
	sum    hash.Hash // over everything read so far
	done   bool
}

// NewBackupReader decompresses r and reads the header. It refuses what is
// not a backup and a format newer than BackupFormat.
func NewBackupReader(r io.Reader) (*BackupReader, error) {
	dec, err := zstd.NewReader(bufio.NewReaderSize(r, 1<<20), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, err
	}
	br := &BackupReader{dec: dec, sum: sha256.New()}
	br.r = io.TeeReader(dec, br.sum)
	if err := br.readHeader(); err != nil {
		dec.Close()
		return nil, err
	}
	return br, nil
}

func (br *BackupReader) readHeader() error {
	pre := make([]byte, len(backupMagic)+4)
	if _, err := io.ReadFull(br.r, pre); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: the file is empty", ErrBackupFormat)
		}
		return readError(err, "reading the start")
	}
	if !bytes.Equal(pre[:len(backupMagic)], backupMagic) {
		return fmt.Errorf("%w: no backup signature at the start", ErrBackupFormat)
	}
	n := binary.BigEndian.Uint32(pre[len(backupMagic):])
	if n > maxHeaderBytes {
		return fmt.Errorf("%w: header of %d bytes", ErrBackupFormat, n)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(br.r, raw); err != nil {
		return readError(err, "reading the header")
	}
	// The format is read first, alone: a newer header may not decode
	// into this one.
	var v struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("%w: header: %v", ErrBackupFormat, err)
	}
	if v.Format < 1 || v.Format > BackupFormat {
		return fmt.Errorf("%w: backup format %d, this xanode reads formats 1 to %d: restore it with a newer xanode",
			ErrBackupFormat, v.Format, BackupFormat)
	}
	if err := json.Unmarshal(raw, &br.Header); err != nil {
		return fmt.Errorf("%w: header: %v", ErrBackupFormat, err)
	}
	if br.Header.StateBytes <= 0 {
		return fmt.Errorf("%w: header gives a state of %d bytes", ErrBackupFormat, br.Header.StateBytes)
	}
	return nil
}

// WriteState copies the state (Header.StateBytes bytes) to w, then checks
// the checksum and that the file ends there. An error means w got a
// damaged or partial state: discard it.
func (br *BackupReader) WriteState(w io.Writer) error {
	if br.done {
		return errors.New("cluster: backup state already read")
	}
	br.done = true
	ew := &errWriter{w: w}
	n, err := io.CopyN(ew, br.r, br.Header.StateBytes)
	switch {
	case ew.err != nil:
		return fmt.Errorf("cluster: writing the backup's state: %w", ew.err)
	case err != nil:
		return readError(err, fmt.Sprintf("state read up to byte %d of %d", n, br.Header.StateBytes))
	}
	want := br.sum.Sum(nil)
	got := make([]byte, sha256.Size)
	if _, err := io.ReadFull(br.dec, got); err != nil {
		return readError(err, "no checksum after the state")
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%w: the file carries SHA-256 %x, its contents give %x", ErrBackupDamaged, got, want)
	}
	// Reading to the end makes the decoder check the frame's own
	// checksum and finds bytes that follow the checksum.
	extra, err := io.Copy(io.Discard, br.dec)
	if err != nil {
		return readError(err, "after the checksum")
	}
	if extra > 0 {
		return fmt.Errorf("%w: %d bytes follow the checksum", ErrBackupFormat, extra)
	}
	return nil
}

// readError names what a failed read of the decompressed stream means.
func readError(err error, where string) error {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %s", ErrBackupCut, where)
	case errors.Is(err, zstd.ErrMagicMismatch):
		return fmt.Errorf("%w: not zstd-compressed", ErrBackupFormat)
	default:
		return fmt.Errorf("%w: %s: %v", ErrBackupDamaged, where, err)
	}
}

// Checksum is the SHA-256 the file carries, once WriteState succeeded.
func (br *BackupReader) Checksum() string { return hex.EncodeToString(br.sum.Sum(nil)) }

// Close releases the decoder.
func (br *BackupReader) Close() { br.dec.Close() }
