package node

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/faceimg"
	"github.com/xanode/xanode/reader/vncard"
	"github.com/xanode/xanode/webui"
)

// TestTapShowsTheFace: a tap reads DG2 and hands the officer UI the face
// as a JPEG (a JPEG 2000 one converted, or the reason it cannot be), and
// the audit entry says whether a face was shown, without the image.
func TestTapShowsTheFace(t *testing.T) {
	dir, officer, password := upgradeFolder(t)
	e, ui := startTestEdge(t, dir, nil)
	if _, err := ui.Authenticate(context.Background(), officer, password); err != nil {
		t.Fatal(err)
	}
	cards := t.TempDir()
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WritePEM(cards); err != nil {
		t.Fatal(err)
	}
	people := map[string][]byte{"092198012345": emulator.SampleFaceJPEG("a"), "092198012346": emulator.SampleFaceJP2(), "092198012347": nil}
	for id, face := range people {
		p := cardHolder
		p.ID, p.Face = id, face
		chip, err := emulator.NewChipKeys(true, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := emulator.WriteCard(filepath.Join(cards, id), p, pki, chip, true); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := LoadCards(cards)
	if err != nil {
		t.Fatal(err)
	}
	ui.cards = sc
	for id, face := range people {
		got, err := ui.Tap(context.Background(), officer, webui.CardKey{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case face == nil:
			if got.Face != nil || got.FaceProblem != webui.FaceMissing {
				t.Errorf("%s, no DG2: face %v, problem %q", id, got.Face != nil, got.FaceProblem)
			}
		case vncard.ImageFormat(face) == vncard.FormatJPEG2000 && !faceimg.JPEG2000:
			if got.Face != nil || got.FaceProblem != webui.FaceJPEG2000 {
				t.Errorf("%s, JPEG 2000 without libopenjp2: face %v, problem %q", id, got.Face != nil, got.FaceProblem)
			}
		default:
			if got.Face == nil || vncard.ImageFormat(got.Face.JPEG) != vncard.FormatJPEG || got.Face.Width != emulator.SampleFaceWidth {
				t.Errorf("%s: face %+v, problem %q", id, got.Face != nil, got.FaceProblem)
			}
		}
	}
	entries, err := e.Store().AuditAfter(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, a := range entries {
		if a.Action == edge.AuditIdentify {
			seen[a.Citizen] = a.Detail
		}
		if len(a.Detail) > 1024 {
			t.Errorf("an audit entry of %d bytes: %.80q", len(a.Detail), a.Detail)
		}
	}
	want := map[string]string{"092198012345": "face shown", "092198012347": "face not shown: missing"}
	if faceimg.JPEG2000 {
		want["092198012346"] = "face shown"
	} else {
		want["092198012346"] = "face not shown: jpeg2000"
	}
	for id, w := range want {
		if !strings.HasSuffix(seen[id], "; "+w) {
			t.Errorf("audit of %s: %q, want it to end with %q", id, seen[id], w)
		}
	}
}
