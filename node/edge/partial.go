package edge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	gosync "sync"
)

// PartialDownload keeps an interrupted bundle download in a file beside
// the store, for the sync client to resume (it implements
// client.Partial). A bundle is the commune's personal data, so the file
// is sealed like the store: a sequence of frames, each a 4-byte length and
// an AES-GCM ciphertext, the first holding the bundle's ETag and every
// later one the next bytes received. A frame's additional data holds the
// ETag and the frame's number, so frames cannot be reordered or mixed
// between downloads. A frame torn by a crash does not open; Load stops
// there and the download resumes from the last whole frame.
type PartialDownload struct {
	path string
	keys *keys

	mu   gosync.Mutex
	tag  string
	next uint64 // number of the next frame
	end  int64  // file offset after the last whole frame
}

var bPartial = []byte("partial")

// maxFrame bounds a frame read back, against a damaged length.
const maxFrame = 16 << 20

// Partial returns the store's partial download.
func (s *Store) Partial() *PartialDownload {
	return &PartialDownload{path: s.path + ".partial", keys: s.keys}
}

func frameKey(tag string, n uint64) []byte { return binary.BigEndian.AppendUint64([]byte(tag), n) }

// Load returns the tag and the bytes kept; an empty tag if none.
func (p *PartialDownload) Load() (string, []byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tag, p.next, p.end = "", 0, 0
	b, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	var tag string
	var data []byte
	off := int64(0)
	for n := uint64(0); ; n++ {
		if len(b) < 4 {
			break
		}
		size := binary.BigEndian.Uint32(b)
		if size > maxFrame || int(size) > len(b)-4 {
			break
		}
		plain, err := p.keys.open(bPartial, frameKey(tag, n), b[4:4+size])
		if err != nil {
			break
		}
		if n == 0 {
			tag = string(plain)
		} else {
			data = append(data, plain...)
		}
		b = b[4+size:]
		off += 4 + int64(size)
		p.next, p.end = n+1, off
	}
	if p.next == 0 {
		return "", nil, fmt.Errorf("%w: %s holds no download this key opens", ErrKey, p.path)
	}
	p.tag = tag
	return tag, data, nil
}

// Begin discards what is kept and starts keeping the download of the
// bundle tagged tag.
func (p *PartialDownload) Begin(tag string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tag, p.next, p.end = tag, 0, 0
	if err := os.WriteFile(p.path, nil, 0o600); err != nil {
		return err
	}
	return p.appendFrame([]byte(tag))
}

// Append keeps the next bytes of the download begun or loaded.
func (p *PartialDownload) Append(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == 0 {
		return errors.New("edge: Append to a partial download neither begun nor loaded")
	}
	return p.appendFrame(b)
}

// appendFrame writes frame p.next after the last whole frame, cutting off
// whatever a crash left beyond it. It does not sync: a frame lost to a
// power cut is downloaded again.
func (p *PartialDownload) appendFrame(plain []byte) error {
	f, err := os.OpenFile(p.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	tag := p.tag
	if p.next == 0 {
		tag = "" // the first frame holds the tag, so Load cannot know it yet
	}
	sealed := p.keys.seal(bPartial, frameKey(tag, p.next), plain)
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(sealed)), uint32(len(sealed)))
	frame = append(frame, sealed...)
	err = f.Truncate(p.end)
	if err == nil {
		_, err = f.WriteAt(frame, p.end)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	p.next++
	p.end += int64(len(frame))
	return nil
}

// Discard forgets what is kept.
func (p *PartialDownload) Discard() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tag, p.next, p.end = "", 0, 0
	if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
