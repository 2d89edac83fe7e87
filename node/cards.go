package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
)

// SampleCards is an emulated card reader holding sample cards, one after
// the other at each tap: the demo's stand-in for a PC/SC reader. The
// cards are built from real records, each signed by a test Document
// Signer, and kept as card folders (one per card, the format of
// ../shared/cards) so `xanode card read --emulate-card DIR` reads them too.
type SampleCards struct {
	Dir   string
	trust *CSCATrust // CSCAs found beside the cards (csca.pem), and the city's list; none: PA not checked
	mu    gosync.Mutex
	cards []sampleCard
	next  int
}

type sampleCard struct {
	dir   string
	id    string // the personal ID the card carries
	files emulator.Files
	chip  emulator.ChipKeys
	key   reader.MRZKey
}

// LoadCards loads emulated cards from dir: one card folder, or a folder of
// card folders, tapped in the order of their names. The CSCA certificates
// the folder holds (csca.pem beside the cards) are trusted for passive
// authentication, besides the city's trust list once the edge installs one
// (CSCA).
func LoadCards(dir string) (*SampleCards, error) {
	// The test CSCA the cards were signed under: a real edge has the
	// national CSCA from the city's trust list instead.
	local := trust.NewStore()
	if _, err := local.Load(dir); err != nil && !errors.Is(err, trust.ErrNoCSCA) {
		return nil, err
	}
	s := &SampleCards{Dir: dir, trust: NewCSCATrust(local)}
	if _, err := os.Stat(filepath.Join(dir, "DG1")); err == nil {
		return s, s.load(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := s.load(filepath.Join(dir, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	if len(s.cards) == 0 {
		return nil, fmt.Errorf("no card folders in %s", dir)
	}
	return s, nil
}

func (s *SampleCards) load(dir string) error {
	files, err := emulator.LoadDir(dir)
	if err != nil {
		return err
	}
	mrz, err := vncard.ParseDG1(files["DG1"])
	if err != nil {
		return fmt.Errorf("sample card %s: %w", dir, err)
	}
	chip, err := emulator.LoadChipKeys(dir)
	if err != nil {
		return err
	}
	id := mrz.ID()
	if id == "" {
		id = filepath.Base(dir)
	}
	key := reader.MRZKey{DocumentNumber: mrz.DocumentNumber, DateOfBirth: mrz.DateOfBirth, DateOfExpiry: mrz.DateOfExpiry}
	s.cards = append(s.cards, sampleCard{dir: dir, id: id, files: files, chip: chip, key: key})
	return nil
}

// SampleCard is one card the demo makes.
type SampleCard struct {
	Name    string // the card folder's name (cards are tapped in name order)
	Citizen *registry.Citizen
	// Residence, when set, is the address the card carries instead of the
	// record's: a card issued before a move, or before the reform of 1
	// July 2025 (the old units).
	Residence string
	// AA gives the chip an active authentication key (DG15), so that it
	// can sign a city's challenge: a proof of presence.
	AA bool
}

// NewSampleCardPKI makes the test CSCA and Document Signer of the demo's
// cards, shaped like Vietnam's (a brainpoolP512r1 CSCA with explicit
// curve parameters, a brainpool Document Signer), and writes the CSCA into
// dir (csca.pem) for the readers and the city to trust.
func NewSampleCardPKI(dir string) (*emulator.TestPKI, error) {
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return pki, pki.WritePEM(dir)
}

// WriteSampleCards makes a card folder in dir for each card, signed under
// pki, with Chip Authentication keys and PACE announced, and loads them.
// Each card carries a drawn portrait; the second one as JPEG 2000, as many
// CCCDs have it, which a build without libopenjp2 cannot show (the UI
// says so).
func WriteSampleCards(dir string, pki *emulator.TestPKI, cards []SampleCard) (*SampleCards, error) {
	for i, sc := range cards {
		p := personOf(sc.Citizen)
		p.Face = emulator.SampleFaceJPEG(sc.Citizen.ID)
		if i == 1 {
			p.Face = emulator.SampleFaceJP2()
		}
		if sc.Residence != "" {
			p.Residence = sc.Residence
		}
		chip, err := emulator.NewChipKeys(true, sc.AA)
		if err != nil {
			return nil, err
		}
		if err := emulator.WriteCard(filepath.Join(dir, sc.Name), p, pki, chip, true); err != nil {
			return nil, fmt.Errorf("sample card for %s: %w", sc.Citizen.ID, err)
		}
	}
	return LoadCards(dir)
}

func personOf(c *registry.Citizen) emulator.Person {
	date := func(f registry.Field) vncard.Date {
		d, _ := registry.ParseDate(c.Get(f))
		return vncard.Date{Year: d.Year, Month: d.Month, Day: d.Day}
	}
	return emulator.Person{
		ID: c.ID, FullName: c.Get(registry.FieldFullName), DateOfBirth: date(registry.FieldBirthDate),
		Sex: c.Get(registry.FieldSex), IssueDate: date(registry.FieldCardIssued), ExpiryDate: date(registry.FieldCardExpiry),
		Nationality: c.Get(registry.FieldNationality), Ethnicity: c.Get(registry.FieldEthnicity),
		Religion: c.Get(registry.FieldReligion), Hometown: c.Get(registry.FieldHometown),
		Residence: c.Get(registry.FieldPermanentAddress), Characteristics: c.Get(registry.FieldFeatures),
		Father: c.Get(registry.FieldFatherName), Mother: c.Get(registry.FieldMotherName),
		Spouse: c.Get(registry.FieldSpouseName), OldID: c.Get(registry.FieldOldID),
	}
}

// Tap reads a sample card through the real reader code, as if the
// officer had put it on the reader: the card the key names (by its CAN or
// document number), else the next one. Without keys the card's own MRZ
// key opens it; with keys a wrong one is refused as a real chip would.
func (s *SampleCards) Tap(ctx context.Context, keys []reader.Key) (*reader.Result, error) {
	s.mu.Lock()
	if len(s.cards) == 0 {
		s.mu.Unlock()
		return nil, errors.New("sample cards: none")
	}
	c, ok := s.named(keys)
	if !ok {
		c = s.cards[s.next%len(s.cards)]
		s.next++
	}
	s.mu.Unlock()
	card, err := emulator.New(c.files, emulator.Options{QuirkCCCD: true, ChipKeys: c.chip})
	if err != nil {
		return nil, err
	}
	cfg := reader.Config{Trust: s.trust.Store()}
	if len(keys) == 0 {
		keys = []reader.Key{c.key}
	}
	return readWithKeys(ctx, cfg, card, keys, slog.Default())
}

// CSCA is the trust the cards are read with: give it to the edge
// (EdgeConfig.CSCA) so that the city's trust list reaches the reads.
func (s *SampleCards) CSCA() *CSCATrust {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trust
}

// named finds the card a key was typed for; s.mu is held.
func (s *SampleCards) named(keys []reader.Key) (sampleCard, bool) {
	for _, c := range s.cards {
		doc := c.key.DocumentNumber
		for _, k := range keys {
			switch k := k.(type) {
			case reader.CAN:
				if len(doc) == 9 && string(k) == doc[3:] {
					return c, true
				}
			case reader.MRZKey:
				if k.DocumentNumber == doc {
					return c, true
				}
			}
		}
	}
	return sampleCard{}, false
}

// ChipFields maps what a card said onto registry fields.
func ChipFields(r *reader.Result) map[registry.Field]string {
	m := map[registry.Field]string{}
	d := r.DG13
	if d == nil {
		return m
	}
	sex := map[string]string{"Nam": registry.SexMale, "Nữ": registry.SexFemale, "M": registry.SexMale, "F": registry.SexFemale}[d.Sex]
	for f, v := range map[registry.Field]string{
		registry.FieldFullName: d.FullName, registry.FieldBirthDate: d.DateOfBirth.String(), registry.FieldSex: sex,
		registry.FieldNationality: d.Nationality, registry.FieldEthnicity: d.Ethnicity, registry.FieldReligion: d.Religion,
		registry.FieldHometown: d.Hometown, registry.FieldPermanentAddress: d.Residence, registry.FieldFeatures: d.Characteristics,
		registry.FieldCardIssued: d.IssueDate.String(), registry.FieldCardExpiry: d.ExpiryDate.String(),
		registry.FieldFatherName: d.Father, registry.FieldMotherName: d.Mother, registry.FieldSpouseName: d.Spouse,
		registry.FieldOldID: d.OldID,
	} {
		if v != "" {
			m[f] = v
		}
	}
	return m
}

// IDs lists the sample cards' personal IDs, in tap order.
func (s *SampleCards) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, c := range s.cards {
		ids = append(ids, c.id)
	}
	return ids
}

// QRFields maps what a card's QR code says onto registry fields.
func QRFields(q *vncard.QR) map[registry.Field]string {
	m := map[registry.Field]string{
		registry.FieldFullName: q.FullName, registry.FieldBirthDate: q.DateOfBirth.String(),
		registry.FieldPermanentAddress: q.Address,
	}
	if sex := map[string]string{"Nam": registry.SexMale, "Nữ": registry.SexFemale}[q.Sex]; sex != "" {
		m[registry.FieldSex] = sex
	}
	if q.OldID != "" {
		m[registry.FieldOldID] = q.OldID
	}
	if !q.IssueDate.IsZero() {
		m[registry.FieldCardIssued] = q.IssueDate.String()
	}
	return m
}
