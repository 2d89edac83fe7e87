//go:build pcsc

package pcsc

// The Monitor, Readers and Status talk to libpcsclite directly rather than
// through github.com/ebfe/scard: its GetStatusChange keeps the reader names
// it hands to C in a package-level map without a lock, so two calls at
// once (the monitor's long wait beside a one-off status query) race, and
// one call can free the name another is still waiting on. Here the reader
// states live in C memory for the length of the call.

/*
#cgo pkg-config: libpcsclite
#include <stdlib.h>
#include <winscard.h>
*/
import "C"

import (
	"time"
	"unsafe"
)

// defaultSystem is libpcsclite.
var defaultSystem system = pcscLite{}

type pcscLite struct{}

func (pcscLite) establish() (scContext, error) {
	var h C.SCARDCONTEXT
	if rv := C.SCardEstablishContext(C.SCARD_SCOPE_SYSTEM, nil, nil, &h); rv != C.SCARD_S_SUCCESS {
		return nil, liteError("connect to pcscd", rv)
	}
	return &liteContext{h: h}, nil
}

func liteError(op string, rv C.LONG) error {
	return &codeError{op: op, code: uint32(rv)}
}

type liteContext struct {
	h C.SCARDCONTEXT
}

func (c *liteContext) listReaders() ([]string, error) {
	// The list may grow between asking its size and fetching it: ask again.
	for range 3 {
		var n C.DWORD
		rv := C.SCardListReaders(c.h, nil, nil, &n)
		if uint32(rv) == codeNoReaders {
			return []string{}, nil
		}
		if rv != C.SCARD_S_SUCCESS {
			return nil, liteError("list readers", rv)
		}
		buf := make([]byte, n)
		rv = C.SCardListReaders(c.h, nil, (*C.char)(unsafe.Pointer(&buf[0])), &n)
		switch {
		case uint32(rv) == codeNoReaders:
			return []string{}, nil
		case rv == C.SCARD_E_INSUFFICIENT_BUFFER:
			continue
		case rv != C.SCARD_S_SUCCESS:
			return nil, liteError("list readers", rv)
		}
		return splitMultiString(buf[:n]), nil
	}
	return nil, &codeError{op: "list readers", code: uint32(C.SCARD_E_INSUFFICIENT_BUFFER)}
}

func (c *liteContext) getStatusChange(states []readerState, timeout time.Duration) error {
	if len(states) == 0 {
		return nil
	}
	cs := (*C.SCARD_READERSTATE)(C.calloc(C.size_t(len(states)), C.size_t(unsafe.Sizeof(C.SCARD_READERSTATE{}))))
	defer C.free(unsafe.Pointer(cs))
	rs := unsafe.Slice(cs, len(states))
	for i, st := range states {
		rs[i].szReader = C.CString(st.name)
		defer C.free(unsafe.Pointer(rs[i].szReader))
		rs[i].dwCurrentState = C.DWORD(st.current)
	}
	ms := C.DWORD(C.INFINITE)
	if timeout >= 0 && timeout < time.Duration(C.INFINITE)*time.Millisecond {
		ms = C.DWORD(timeout / time.Millisecond)
	}
	if rv := C.SCardGetStatusChange(c.h, ms, cs, C.DWORD(len(states))); rv != C.SCARD_S_SUCCESS {
		return liteError("wait for reader changes", rv)
	}
	for i := range states {
		states[i].event = uint32(rs[i].dwEventState)
		n := min(int(rs[i].cbAtr), len(rs[i].rgbAtr))
		states[i].atr = C.GoBytes(unsafe.Pointer(&rs[i].rgbAtr[0]), C.int(n))
	}
	return nil
}

func (c *liteContext) cancel() error {
	if rv := C.SCardCancel(c.h); rv != C.SCARD_S_SUCCESS {
		return liteError("cancel", rv)
	}
	return nil
}

func (c *liteContext) release() error {
	if rv := C.SCardReleaseContext(c.h); rv != C.SCARD_S_SUCCESS {
		return liteError("release", rv)
	}
	return nil
}
