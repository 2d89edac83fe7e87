package pcsc

import (
	"fmt"
)

// maxGetResponse bounds GET RESPONSE rounds, so a card that keeps saying
// "more data" (61xx) cannot hold the reader forever.
const maxGetResponse = 64

// exchange sends cmd with send and completes the T=0 transport rules that
// PC/SC leaves to the application (ISO 7816-3 / 7816-4 5.3.4): 6Cxx means
// "repeat with Le = xx", 61xx means "xx more bytes, fetch them with GET
// RESPONSE". Over T=1 and contactless links cards answer in one go and
// exchange just passes the answer on.
func exchange(send func([]byte) ([]byte, error), cmd []byte) ([]byte, error) {
	resp, err := send(cmd)
	if err != nil {
		return nil, err
	}
	if len(resp) == 2 && resp[0] == 0x6C && len(cmd) >= 4 {
		retry := append(append([]byte(nil), cmd[:len(cmd)-1]...), resp[1])
		if len(cmd) == 4 { // case 1 command: add the Le the card wants
			retry = append(append([]byte(nil), cmd...), resp[1])
		}
		if resp, err = send(retry); err != nil {
			return nil, err
		}
	}
	var data []byte
	for i := 0; len(resp) >= 2 && resp[len(resp)-2] == 0x61; i++ {
		if i == maxGetResponse {
			return nil, fmt.Errorf("pcsc: card still has data after %d GET RESPONSE commands", maxGetResponse)
		}
		data = append(data, resp[:len(resp)-2]...)
		if resp, err = send([]byte{cmd[0] & 0x03, 0xC0, 0x00, 0x00, resp[len(resp)-1]}); err != nil {
			return nil, err
		}
	}
	if data == nil {
		return resp, nil
	}
	return append(data, resp...), nil
}
