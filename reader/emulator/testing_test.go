package emulator

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/vncard"
)

var (
	pkiOnce sync.Once
	pki     *TestPKI
	pkiErr  error
)

// mustPKI shares one test PKI across the package's tests: key generation
// is the slow part of building cards.
func mustPKI(t testing.TB) *TestPKI {
	t.Helper()
	pkiOnce.Do(func() { pki, pkiErr = NewTestPKI(time.Now()) })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

var testPerson = Person{
	ID: "001195012345", FullName: "Nguyễn Thị Thu Hà", DateOfBirth: vncard.Date{Year: 1995, Month: 3, Day: 8}, Sex: "F",
	IssueDate: vncard.Date{Year: 2021, Month: 4, Day: 10}, ExpiryDate: vncard.Date{Year: 2035, Month: 3, Day: 8},
	Ethnicity: "Kinh", Religion: "Không", Hometown: "Xã Tân Lộc, Huyện Thới Bình, Cà Mau",
	Residence:       "Số 12 Đường 30/4, Phường Xuân Khánh, Quận Ninh Kiều, Cần Thơ",
	Characteristics: "Sẹo chấm C:1cm trên đuôi mày phải", Father: "Nguyễn Văn Hùng", Mother: "Trần Thị Lan",
}

var testKey = emrtd.BACKey{DocumentNumber: "195012345", DateOfBirth: "950308", DateOfExpiry: "350308"}

func mustCard(t testing.TB, opts Options) (*Card, Files) {
	t.Helper()
	files, err := Build(testPerson, mustPKI(t).DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, files
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// raw sends a plain APDU given in hex and returns data and status.
func raw(t testing.TB, c emrtd.Transport, apdu string) ([]byte, iso7816.StatusWord) {
	t.Helper()
	out, err := c.Transmit(context.Background(), unhex(t, apdu))
	if err != nil {
		t.Fatal(err)
	}
	r, err := iso7816.ParseResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	return r.Data, r.SW
}

// tap is a Transport test double between the terminal and the card that
// can change commands on their way.
type tap struct {
	card  emrtd.Transport
	onCmd func(cmd []byte) []byte
}

func (p *tap) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if p.onCmd != nil {
		cmd = p.onCmd(cmd)
	}
	return p.card.Transmit(ctx, cmd)
}

// secure returns a session that has run BAC against the card.
func secure(t testing.TB, tr emrtd.Transport) *emrtd.Session {
	t.Helper()
	s := emrtd.NewSession(tr, nil)
	ctx := context.Background()
	if err := s.SelectApplication(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.BAC(ctx, testKey); err != nil {
		t.Fatal(err)
	}
	return s
}
