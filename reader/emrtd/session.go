package emrtd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/xanode/xanode/reader/iso7816"
)

// Transport carries APDUs to a card: a PC/SC reader, the in-process
// emulator, a test double.
//
// Transmit sends one command APDU and returns the complete response APDU
// (data, then SW1 SW2). It must honour ctx where it can block. A Transport
// talks to one card and is used by one Session at a time: APDUs of a secure
// messaging session must not interleave with others.
type Transport interface {
	Transmit(ctx context.Context, cmd []byte) ([]byte, error)
}

// MaxRead is the most bytes asked for in one READ BINARY. Under 3DES secure
// messaging 223 bytes make the largest protected answer that still fits a
// short response APDU; JMRTD asks for the same, and some chips cap at 231.
const MaxRead = 0xDF

// MaxExtendedRead is the most bytes asked for in one READ BINARY when the
// card's ATR announces extended length: a 20 KB face in 5 commands instead
// of 90. A card that refuses it (6700) is read with MaxRead again.
const MaxExtendedRead = 0x1000

// AnswerToReset is implemented by transports that know the card's answer
// to reset (PC/SC, the emulator); a Session learns from it whether the
// card takes extended length APDUs.
type AnswerToReset interface {
	AnswerToReset() []byte
}

// maxOffset is the largest offset READ BINARY with an even INS can address
// (15 bits in P1-P2). Larger files need READ BINARY with odd INS and DO'54',
// which no Vietnamese card needs (DG2 is about 15-20 KB).
const maxOffset = 0x7FFF

// Instructions and parameters used by the session.
const (
	insSelect               = 0xA4
	insReadBinary           = 0xB0
	insGetChallenge         = 0x84
	insExternalAuthenticate = 0x82
	selectMF                = 0x00 // P1: master file
	selectEF                = 0x02 // P1: EF under the current DF
	selectByName            = 0x04 // P1: DF by name (AID)
	selectNoResponse        = 0x0C // P2: no FCI wanted
)

// Session is one conversation with a chip: plain APDUs until BAC succeeds,
// then secure messaging. It counts every APDU it sends.
//
// A Session is not safe for concurrent use.
type Session struct {
	t       Transport
	rand    io.Reader
	sm      *SecureMessaging
	apdus   int
	maxRead int // MaxRead, or MaxExtendedRead when the card announces extended length
	// unconfirmed is set between Chip Authentication's key switch and the
	// chip's first answer that verifies under the new keys.
	unconfirmed bool
	// cam is the chip's proof from PACE with chip authentication mapping.
	cam *CAMProof
}

// NewSession starts a session over t. rand supplies the terminal's nonces
// and key shares; nil means crypto/rand. Tests inject a fixed reader to
// reproduce the published ICAO transcripts.
func NewSession(t Transport, rand io.Reader) *Session {
	s := &Session{t: t, rand: rand, maxRead: MaxRead}
	if a, ok := t.(AnswerToReset); ok && iso7816.ExtendedLength(a.AnswerToReset()) {
		s.maxRead = MaxExtendedRead
	}
	return s
}

// APDUs returns the number of command APDUs sent so far.
func (s *Session) APDUs() int { return s.apdus }

// Secure reports whether secure messaging is up.
func (s *Session) Secure() bool { return s.sm != nil }

// Transmit sends one command, protected when secure messaging is up, and
// returns the (unprotected) response whatever its status word. Any secure
// messaging failure ends the session's secure messaging.
func (s *Session) Transmit(ctx context.Context, c iso7816.Command) (iso7816.Response, error) {
	if err := ctx.Err(); err != nil {
		return iso7816.Response{}, err
	}
	if s.sm != nil {
		p, err := s.sm.Protect(c)
		if err != nil {
			s.sm = nil
			return iso7816.Response{}, err
		}
		c = p
	}
	raw, err := c.Bytes()
	if err != nil {
		return iso7816.Response{}, err
	}
	s.apdus++
	out, err := s.t.Transmit(ctx, raw)
	if err != nil {
		s.sm = nil // the card may have seen the command: counters are unknown
		return iso7816.Response{}, fmt.Errorf("emrtd: transmit %02X: %w", c.INS, err)
	}
	if s.sm == nil {
		r, err := iso7816.ParseResponse(out)
		if err != nil {
			return iso7816.Response{}, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		return r, nil
	}
	r, err := s.sm.Unprotect(out)
	if err != nil {
		s.sm = nil
		if s.unconfirmed {
			s.unconfirmed = false
			return iso7816.Response{}, fmt.Errorf("%w: %w", ErrChipAuthentication, err)
		}
		return iso7816.Response{}, err
	}
	s.unconfirmed = false
	return r, nil
}

// call is Transmit that turns any status other than 9000 into an error.
func (s *Session) call(ctx context.Context, what string, c iso7816.Command) ([]byte, error) {
	r, err := s.Transmit(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !r.SW.OK() {
		return nil, fmt.Errorf("%s: %w", what, r.SW)
	}
	return r.Data, nil
}

// SelectMaster selects the master file, where EF.CardAccess lives. The
// Vietnamese CCCD answers SELECT MF with 6D00 although its MF files can be
// selected directly, so 6D00 is not an error here.
func (s *Session) SelectMaster(ctx context.Context) error {
	r, err := s.Transmit(ctx, iso7816.Command{INS: insSelect, P1: selectMF, P2: selectNoResponse})
	if err != nil {
		return fmt.Errorf("SELECT MF: %w", err)
	}
	if r.SW.OK() || r.SW == iso7816.StatusINSNotSupported {
		return nil
	}
	return fmt.Errorf("SELECT MF: %w", r.SW)
}

// SelectApplication selects the LDS1 eMRTD application by its AID.
func (s *Session) SelectApplication(ctx context.Context) error {
	_, err := s.call(ctx, "SELECT eMRTD application", iso7816.Command{INS: insSelect, P1: selectByName, P2: selectNoResponse, Data: AID})
	return err
}

// BAC runs Basic Access Control with the MRZ key and, on success, switches
// the session to 3DES secure messaging. Any status other than 9000 to
// EXTERNAL AUTHENTICATE is ErrAccessDenied (6300 on most chips, 6988 on
// some); the chip's own cryptogram is verified before its keys are used.
func (s *Session) BAC(ctx context.Context, key BACKey) error {
	keys, err := DeriveBACKeys(key)
	if err != nil {
		return err
	}
	s.sm, s.unconfirmed, s.cam = nil, false, nil
	rndIC, err := s.call(ctx, "GET CHALLENGE", iso7816.Command{INS: insGetChallenge, Ne: bacNonceLen})
	if err != nil {
		return err
	}
	if len(rndIC) != bacNonceLen {
		return fmt.Errorf("GET CHALLENGE: %w: %d bytes of challenge, want %d", ErrProtocol, len(rndIC), bacNonceLen)
	}
	t := &bacTerminal{keys: keys, rndIC: rndIC, rndIFD: make([]byte, bacNonceLen), kIFD: make([]byte, bacKeyLen)}
	if err := s.random(t.rndIFD, t.kIFD); err != nil {
		return err
	}
	data, err := t.command()
	if err != nil {
		return err
	}
	r, err := s.Transmit(ctx, iso7816.Command{INS: insExternalAuthenticate, Data: data, Ne: bacResponseLen})
	if err != nil {
		return fmt.Errorf("EXTERNAL AUTHENTICATE: %w", err)
	}
	if !r.SW.OK() {
		return fmt.Errorf("EXTERNAL AUTHENTICATE: %w (%w)", ErrAccessDenied, r.SW)
	}
	sm, err := t.finish(r.Data)
	if err != nil {
		return fmt.Errorf("EXTERNAL AUTHENTICATE: %w", err)
	}
	s.sm = sm
	return nil
}

func (s *Session) randReader() io.Reader {
	if s.rand == nil {
		return rand.Reader
	}
	return s.rand
}

func (s *Session) random(bufs ...[]byte) error {
	for _, b := range bufs {
		if _, err := io.ReadFull(s.randReader(), b); err != nil {
			return fmt.Errorf("emrtd: random source: %w", err)
		}
	}
	return nil
}

// ReadFile selects an elementary file of the current application and reads
// it whole: 4 bytes first to learn the length from the TLV header, then the
// rest in as few READ BINARY commands of at most MaxRead bytes as possible
// (MaxExtendedRead when the card takes extended length).
// LDS1 files need secure messaging; a missing file is an error that
// errors.Is(err, iso7816.StatusFileNotFound) recognises.
func (s *Session) ReadFile(ctx context.Context, f File) ([]byte, error) {
	if s.sm == nil && !f.InMaster {
		return nil, fmt.Errorf("read %s: %w", f.Name, ErrNoSession)
	}
	fid := []byte{byte(f.FID >> 8), byte(f.FID)}
	if _, err := s.call(ctx, "SELECT "+f.Name, iso7816.Command{INS: insSelect, P1: selectEF, P2: selectNoResponse, Data: fid}); err != nil {
		return nil, err
	}
	head, eof, err := s.readBinary(ctx, f, 0, 4)
	if err != nil {
		return nil, err
	}
	_, h, n, err := iso7816.ParseHeader(head)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w: %w", f.Name, ErrProtocol, err)
	}
	total := h + n
	if total > maxOffset+1 {
		return nil, fmt.Errorf("read %s: %w: file of %d bytes needs odd-INS READ BINARY, which is not supported", f.Name, ErrProtocol, total)
	}
	if total <= len(head) {
		return head[:total], nil
	}
	out := make([]byte, 0, total)
	out = append(out, head...)
	for !eof && len(out) < total {
		var chunk []byte
		chunk, eof, err = s.readBinary(ctx, f, len(out), min(s.maxRead, total-len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
	if len(out) < total {
		return nil, fmt.Errorf("read %s: %w: file ends after %d bytes, its header says %d", f.Name, ErrProtocol, len(out), total)
	}
	return out, nil
}

// readBinary reads up to want bytes at off; eof reports 6282 (the file
// ended first). An empty answer or one longer than asked is a protocol
// error, so a misbehaving card cannot make the reader loop or overrun.
func (s *Session) readBinary(ctx context.Context, f File, off, want int) (data []byte, eof bool, err error) {
	r, err := s.Transmit(ctx, iso7816.Command{INS: insReadBinary, P1: byte(off >> 8), P2: byte(off), Ne: want})
	if err != nil && want > MaxRead && errors.Is(err, iso7816.StatusWrongLength) {
		// Refused before secure messaging (a bare 6700): the session is
		// lost, and only short reads are tried after the caller opens a new one.
		s.maxRead = MaxRead
		return nil, false, fmt.Errorf("READ BINARY %s at %d: %w: %w", f.Name, off, ErrExtendedLengthRefused, err)
	}
	if err != nil {
		return nil, false, fmt.Errorf("READ BINARY %s at %d: %w", f.Name, off, err)
	}
	if r.SW == iso7816.StatusWrongLength && want > MaxRead {
		// The ATR promised more than the chip takes: short reads from now on.
		s.maxRead = MaxRead
		return s.readBinary(ctx, f, off, MaxRead)
	}
	if !r.SW.OK() && r.SW != iso7816.StatusEndOfFile {
		return nil, false, fmt.Errorf("READ BINARY %s at %d: %w", f.Name, off, r.SW)
	}
	if len(r.Data) == 0 || len(r.Data) > want {
		return nil, false, fmt.Errorf("READ BINARY %s at %d: %w: %d bytes for %d asked", f.Name, off, ErrProtocol, len(r.Data), want)
	}
	return r.Data, r.SW == iso7816.StatusEndOfFile, nil
}
