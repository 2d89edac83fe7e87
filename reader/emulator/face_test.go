package emulator

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/xanode/xanode/reader/vncard"
)

func TestSampleFaces(t *testing.T) {
	a, b := SampleFaceJPEG("001195012345"), SampleFaceJPEG("001195012346")
	if bytes.Equal(a, b) || !bytes.Equal(a, SampleFaceJPEG("001195012345")) {
		t.Fatal("sample faces are not one per seed")
	}
	if vncard.ImageFormat(a) != vncard.FormatJPEG || len(a) < 8<<10 || len(a) > 30<<10 {
		t.Fatalf("sample JPEG face of %d bytes", len(a))
	}
	if vncard.ImageFormat(SampleFaceJP2()) != vncard.FormatJPEG2000 {
		t.Fatal("sample JP2 face is not JPEG 2000")
	}
}

// TestSampleFaceJP2 remakes sampleface.jp2 with XANODE_UPDATE_FACE=1
// (needs opj_compress, from Debian's libopenjp2-tools).
func TestSampleFaceJP2(t *testing.T) {
	if os.Getenv("XANODE_UPDATE_FACE") != "1" {
		t.Skip("set XANODE_UPDATE_FACE=1 to remake sampleface.jp2")
	}
	src := filepath.Join(t.TempDir(), "face.png")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, SampleFace("jpeg2000 sample")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out, err := exec.Command("opj_compress", "-i", src, "-o", "sampleface.jp2", "-r", "35").CombinedOutput(); err != nil {
		t.Fatalf("opj_compress: %v\n%s", err, out)
	}
}
