// Package pcsc connects the reader to real card readers through PC/SC
// (pcscd on Linux). The implementation needs cgo and libpcsclite and is
// built only with the build tag pcsc; without it Open reports that the
// binary has no PC/SC support, so the rest of xanode builds and tests with
// nothing but Go installed.
package pcsc

import "errors"

// ErrNotBuilt means the binary was built without the pcsc tag.
var ErrNotBuilt = errors.New("pcsc: this binary has no PC/SC support; rebuild with -tags pcsc (needs libpcsclite-dev)")
