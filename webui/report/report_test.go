package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

func sample() *registry.Report {
	r := registry.NewReport("92101", "2026-11", registry.ReportCity, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	r.Residents[0].N, r.Residents[1].N = 1998, 2
	r.Changes[0].Recorded, r.Changes[0].Applied = 3, 3 // births
	r.MovesIn, r.MovesOut = 4, 1
	r.Identifications[1].N = 57
	return r
}

// TestCSV: a byte-order mark, the title, the headings and one row per
// figure, in Vietnamese.
func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, i18n.Vietnamese, sample(), "Phường Xuân Khánh"); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Error("no byte-order mark")
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "Báo cáo dân cư Phường Xuân Khánh (92101), tháng 2026-11" || rows[2][0] != "Mục" {
		t.Errorf("head %q", rows[:3])
	}
	want := map[string]string{"Đang sinh sống (thường trú)": "1998", "Đăng ký khai sinh": "3", "Chuyển thường trú đến xã": "4",
		"Chuyển thường trú khỏi xã": "1", "Đã xác thực chữ ký số của chip": "57"}
	for _, row := range rows[3:] {
		if v, ok := want[row[1]]; ok {
			if row[2] != v {
				t.Errorf("%s: %s, want %s", row[1], row[2], v)
			}
			delete(want, row[1])
		}
	}
	if len(want) != 0 {
		t.Errorf("rows missing: %v", want)
	}
}

// TestXLSX: the workbook opens, with the figures as numbers.
func TestXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, i18n.English, sample(), ""); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Report")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "Residents report of 92101, 2026-11" || rows[3][2] != "Count" || rows[4][2] != "1998" {
		t.Errorf("rows %q", rows[:5])
	}
	typ, err := f.GetCellType("Report", "C5")
	if err != nil || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("C5 is of type %v, %v", typ, err)
	}
	edge := sample()
	edge.Source, edge.MovesOut = registry.ReportEdge, -1
	if rows := Rows(i18n.Vietnamese, edge); !strings.Contains(Source(i18n.Vietnamese, edge), "máy của xã") ||
		rows[len(edge.Residents)+len(edge.Changes)+1].Count != "không có số liệu tại máy" {
		t.Errorf("an edge's report: %q", Source(i18n.Vietnamese, edge))
	}
}
