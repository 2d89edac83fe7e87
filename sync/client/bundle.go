package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/bundle"
)

// Partial keeps an interrupted bundle download so that the next attempt
// resumes it with an HTTP Range request instead of starting again: on a
// poor link a full subset can take longer than any one connection lasts.
// Where and how the bytes are kept is the implementation's business (the
// edge keeps them encrypted). The client calls one Partial from one
// goroutine at a time.
type Partial interface {
	// Load returns the validator (the bundle's ETag) and the bytes kept;
	// an empty tag when nothing is kept.
	Load() (tag string, data []byte, err error)
	// Begin discards what is kept and starts keeping the download of the
	// bundle whose ETag is tag.
	Begin(tag string) error
	// Append keeps the next bytes of the download begun.
	Append(p []byte) error
	// Discard forgets what is kept.
	Discard() error
}

// Progress is an optional interface of a Partial: the client tells it how
// many bytes of the bundle it holds (resumed ones included) as they
// arrive, and the bundle's size (-1: unknown).
type Progress interface {
	Progress(done, total int64)
}

// maxBundle caps a download: bundle.MaxSize of payload and its header.
const maxBundle = 1<<30 + 1<<20

// chunkSize is how much is read, and handed to Partial, at a time.
const chunkSize = 64 << 10

// Bundle fetches the commune's bundle for a node that holds subset version
// since (0: none): a delta from since, a refresh of since, or a full
// bundle, as the city decides. It resumes the download partial holds, if
// any, and keeps what it receives there until the bundle is complete;
// partial may be nil. The request has no overall deadline, since a large
// bundle on a slow link takes long, but it fails after the client's
// timeout without progress. The bytes are not verified: the caller opens
// them with bundle.Open, and if they do not open, the next call starts
// afresh because a complete download is no longer kept.
func (c *Client) Bundle(ctx context.Context, commune string, since uint64, partial Partial) ([]byte, error) {
	// format: the newest bundle format this node opens; a city that
	// knows it serves that format, an older one ignores it.
	path := api.GetBundle.Expand(commune) + "?" + api.BundleQuery{Since: since, Format: bundle.FormatColumns}.Values().Encode()
	var last error
	start := int(c.next.Load())
	for i := range c.urls {
		k := (start + i) % len(c.urls)
		b, err := c.download(ctx, c.urls[k]+path, partial)
		if err == nil {
			c.next.Store(uint32(k))
			return b, nil
		}
		if errors.Is(err, ErrRefused) || ctx.Err() != nil {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("%w: %w", ErrUnavailable, last)
}

// download makes one attempt at one city node.
func (c *Client) download(ctx context.Context, url string, partial Partial) ([]byte, error) {
	if partial == nil {
		partial = noPartial{}
	}
	tag, have, err := partial.Load()
	if err != nil || tag == "" {
		// What cannot be read cannot be resumed; start afresh.
		tag, have = "", nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stalled := fmt.Errorf("no progress for %v", c.timeout)
	idle := time.AfterFunc(c.timeout, func() { cancel(stalled) })
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, api.GetBundle.Method, url, nil)
	if err != nil {
		return nil, err
	}
	if len(have) > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", len(have)))
		req.Header.Set("If-Range", tag)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w", url, errors.Join(err, context.Cause(ctx)))
	}
	defer resp.Body.Close()
	c.sawDate(resp)
	total, keep, err := c.startBody(resp, url, tag, have, partial)
	if err != nil {
		return nil, err
	}
	sink := partial
	if !keep {
		sink = noPartial{}
	}
	if total > maxBundle {
		partial.Discard()
		return nil, fmt.Errorf("client: GET %s: bundle of %d bytes, at most %d", url, total, maxBundle)
	}
	if resp.StatusCode == http.StatusOK {
		have = nil
	}
	buf := make([]byte, len(have), max(total, int64(len(have))))
	copy(buf, have)
	report := func(int64, int64) {}
	if p, ok := partial.(Progress); ok {
		report = p.Progress
	}
	report(int64(len(buf)), total)
	chunk := make([]byte, chunkSize)
	for {
		n, rerr := resp.Body.Read(chunk)
		if n > 0 {
			c.received.Add(uint64(n))
			idle.Reset(c.timeout)
			if len(buf)+n > maxBundle {
				partial.Discard()
				return nil, fmt.Errorf("client: GET %s: bundle larger than %d bytes", url, maxBundle)
			}
			buf = append(buf, chunk[:n]...)
			report(int64(len(buf)), total)
			if err := sink.Append(chunk[:n]); err != nil {
				return nil, fmt.Errorf("client: keeping the download of %s: %w", url, err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("client: GET %s: interrupted after %d bytes, kept to resume: %w", url, len(buf),
				errors.Join(rerr, context.Cause(ctx)))
		}
	}
	if total >= 0 && int64(len(buf)) != total {
		return nil, fmt.Errorf("client: GET %s: %d bytes of %d", url, len(buf), total)
	}
	if err := partial.Discard(); err != nil {
		return nil, err
	}
	return buf, nil
}

// startBody checks the answer's status and framing and prepares partial
// for the body. It returns the bundle's whole size (-1: unknown) and
// whether to keep the body in partial.
func (c *Client) startBody(resp *http.Response, url, tag string, have []byte, partial Partial) (int64, bool, error) {
	switch resp.StatusCode {
	case http.StatusOK:
		etag := resp.Header.Get("ETag")
		if etag == "" || strings.HasPrefix(etag, "W/") {
			// Without a strong validator a resumed download could splice
			// two different bundles.
			return resp.ContentLength, false, partial.Discard()
		}
		return resp.ContentLength, true, partial.Begin(etag)
	case http.StatusPartialContent:
		var first, last, total int64
		_, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &total)
		if err != nil || first != int64(len(have)) || last != total-1 || resp.Header.Get("ETag") != tag {
			partial.Discard()
			return 0, false, fmt.Errorf("client: GET %s: resumed at %q (%s), not at byte %d of %s",
				url, resp.Header.Get("Content-Range"), resp.Header.Get("ETag"), len(have), tag)
		}
		return total, true, nil
	case http.StatusRequestedRangeNotSatisfiable:
		partial.Discard()
		return 0, false, fmt.Errorf("client: GET %s: cannot resume at byte %d; the next attempt starts afresh", url, len(have))
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return 0, false, statusError(api.GetBundle.Method, url, resp, b)
}

// noPartial keeps nothing.
type noPartial struct{}

func (noPartial) Load() (string, []byte, error) { return "", nil, nil }
func (noPartial) Begin(string) error            { return nil }
func (noPartial) Append([]byte) error           { return nil }
func (noPartial) Discard() error                { return nil }
