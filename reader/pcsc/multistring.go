package pcsc

import "bytes"

// splitMultiString splits a PC/SC multi-string as pcscd sends it: names
// each ended by NUL, the list ended by an empty name (or by the buffer).
func splitMultiString(b []byte) []string {
	names := []string{}
	for len(b) > 0 && b[0] != 0 {
		name, rest, _ := bytes.Cut(b, []byte{0})
		names = append(names, string(name))
		b = rest
	}
	return names
}
