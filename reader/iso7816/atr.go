package iso7816

import "fmt"

// HistoricalBytes returns the historical bytes of an answer to reset
// (ISO/IEC 7816-3 8.2): T0's low nibble counts them, after the interface
// bytes that T0 and each TDi announce.
func HistoricalBytes(atr []byte) ([]byte, error) {
	if len(atr) < 2 {
		return nil, fmt.Errorf("%w: ATR of %d bytes", ErrMalformed, len(atr))
	}
	k := int(atr[1] & 0x0F)
	i, y := 2, atr[1]>>4
	for {
		for bit := byte(1); bit <= 8; bit <<= 1 { // TAi, TBi, TCi, TDi
			if y&bit != 0 {
				i++
			}
		}
		if y&8 == 0 {
			break
		}
		if i-1 >= len(atr) {
			return nil, fmt.Errorf("%w: ATR cut short in its interface bytes", ErrMalformed)
		}
		y = atr[i-1] >> 4 // the TDi just passed announces the next group
	}
	if i+k > len(atr) {
		return nil, fmt.Errorf("%w: ATR announces %d historical bytes, has %d", ErrMalformed, k, len(atr)-i)
	}
	return atr[i : i+k], nil
}

// ExtendedLength reports whether an ATR's historical bytes announce
// extended Lc and Le fields: the card capabilities object (compact-TLV tag
// 7) with bit 7 of its third byte set (ISO/IEC 7816-4 12.1.1.9).
func ExtendedLength(atr []byte) bool {
	h, err := HistoricalBytes(atr)
	if err != nil || len(h) == 0 || h[0] != 0x80 { // only the compact-TLV category
		return false
	}
	for i := 1; i < len(h); {
		tag, n := h[i]>>4, int(h[i]&0x0F)
		if i+1+n > len(h) {
			return false
		}
		if tag == 7 && n >= 3 {
			return h[i+3]&0x40 != 0
		}
		i += 1 + n
	}
	return false
}
