package emulator

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// ATR is what the card answers to reset through vpcd. It is vicc's, as in
// shared/cards/README.md, not the real CCCD's.
var ATR = []byte{0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B}

// ExtendedATR is ATR with the card capabilities byte announcing command
// chaining and extended Lc/Le (ISO/IEC 7816-4 12.1.1.9), and its check byte.
var ExtendedATR = []byte{0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0xC0, 0xCB}

// AnswerToReset returns the card's ATR, which tells readers whether it
// takes extended length.
func (c *Card) AnswerToReset() []byte {
	if c.opts.ExtendedLength {
		return ExtendedATR
	}
	return ATR
}

// Control messages of the vpcd protocol: one byte where an APDU would be.
const (
	vpcdPowerOff = 0x00
	vpcdPowerOn  = 0x01
	vpcdReset    = 0x02
	vpcdATR      = 0x04
)

// DefaultVPCDAddr is where pcscd's vpcd driver listens for slot 0 (slot 1
// is port 35964).
const DefaultVPCDAddr = "127.0.0.1:35963"

// ServeVPCD connects to pcscd's vsmartcard vpcd driver at addr and serves
// the card until ctx ends or pcscd closes the connection; PC/SC programs
// then see it in the reader "Virtual PCD 00 00". ready, if not nil, is
// called once pcscd has read the ATR, after which clients may connect.
// A ctx that ends is a normal return (nil).
func (c *Card) ServeVPCD(ctx context.Context, addr string, ready func()) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: connect to vpcd at %s (is pcscd running with vsmartcard-vpcd?): %w", addr, err)
	}
	// One watcher closes the connection when ctx ends, which unblocks the
	// read below; it is always stopped and waited for before returning.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			conn.Close()
		case <-stop:
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
		conn.Close()
	}()
	err = c.serve(ctx, conn, ready)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (c *Card) serve(ctx context.Context, conn io.ReadWriter, ready func()) error {
	buf := make([]byte, 0x10000)
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // pcscd went away
			}
			return fmt.Errorf("emulator: vpcd: %w", err)
		}
		msg := buf[:binary.BigEndian.Uint16(hdr[:])]
		if _, err := io.ReadFull(conn, msg); err != nil {
			return fmt.Errorf("emulator: vpcd: %w", err)
		}
		var out []byte
		switch {
		case len(msg) == 1 && msg[0] == vpcdATR:
			out = c.AnswerToReset()
		case len(msg) == 1:
			if msg[0] == vpcdPowerOff || msg[0] == vpcdPowerOn || msg[0] == vpcdReset {
				c.Reset()
			}
			continue
		case len(msg) == 0:
			continue
		default:
			var err error
			if out, err = c.Transmit(ctx, msg); err != nil {
				return err
			}
		}
		if err := writeVPCD(conn, out); err != nil {
			return err
		}
		if len(msg) == 1 && ready != nil {
			ready()
			ready = nil
		}
	}
}

func writeVPCD(w io.Writer, msg []byte) error {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(msg)), uint16(len(msg)))
	if _, err := w.Write(append(b, msg...)); err != nil {
		return fmt.Errorf("emulator: vpcd: %w", err)
	}
	return nil
}
