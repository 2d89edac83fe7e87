package node

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/webui/i18n"
)

var evidenceName = regexp.MustCompile(`\{([a-z_]+)\}`)

func evidenceNames(msg string) []string {
	var out []string
	for _, m := range evidenceName.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestEvidenceCatalogs: every evidence key of node/quality has a message
// in Vietnamese and in English naming the same values as its English
// rendering, the catalogs have no evidence message no rule states, and
// the words a value is said in (sex, parent, status) are in both.
func TestEvidenceCatalogs(t *testing.T) {
	for _, key := range quality.EvidenceKeys() {
		want := evidenceNames(quality.EvidenceMessages[key])
		args := map[string]string{}
		for _, n := range want {
			args[n] = "«" + n + "»"
		}
		for _, l := range i18n.Langs() {
			k := "evidence." + key
			if !i18n.Has(l, k) {
				t.Errorf("%s: no message %q", l, k)
				continue
			}
			if got := evidenceNames(i18n.Message(l, k)); !slices.Equal(got, want) {
				t.Errorf("%s %q names %v, node/quality's %v", l, k, got, want)
			}
			said := l.Evidence(uiEvidence(quality.Evidence{{Key: key, Args: args}}))
			if strings.ContainsAny(said, "{}[]") {
				t.Errorf("%s %q said as %q", l, k, said)
			}
		}
	}
	for _, l := range i18n.Langs() {
		for _, k := range i18n.Keys(l) {
			key, ok := strings.CutPrefix(k, "evidence.")
			if ok && !strings.HasPrefix(key, "value.") && quality.EvidenceMessages[key] == "" {
				t.Errorf("%s has %q, which no rule states", l, k)
			}
		}
		for _, v := range []string{"sex.M", "sex.F", "parent.father", "parent.mother", "status.alive", "status.deceased"} {
			if !i18n.Has(l, "evidence.value."+v) {
				t.Errorf("%s: no word for evidence value %s", l, v)
			}
		}
	}
}

// TestEvidenceSaid: evidence reaches the officer in Vietnamese, fields and
// dates as the officer reads them, and in English; evidence stored before
// it was structured shows as its text in both.
func TestEvidenceSaid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		e      quality.Evidence
		vi, en string
	}{
		{"province", quality.Evidence{{Key: "id_province", Args: map[string]string{"code": "092", "then": "TP Cần Thơ", "now": "TP Cần Thơ",
			"place": "Phường Hoàn Kiếm, TP Hà Nội", "province": "TP Hà Nội"}}},
			"Số định danh mang mã tỉnh 092 (TP Cần Thơ, nay là TP Cần Thơ) nhưng nơi đăng ký khai sinh là «Phường Hoàn Kiếm, TP Hà Nội» (TP Hà Nội)",
			"ID province code 092 (TP Cần Thơ, now TP Cần Thơ) but birth registered in «Phường Hoàn Kiếm, TP Hà Nội» (TP Hà Nội)"},
		{"fields and status", quality.Evidence{{Key: "required", Args: map[string]string{"status": "alive", "fields": "full_name, birth_date"}}},
			"Hồ sơ người còn sống thiếu: Họ và tên, Ngày sinh", "A living person's record without: Full name, Date of birth"},
		{"sex and both parents", quality.Evidence{
			{Key: "id_sex", Args: map[string]string{"digit": "1", "id_sex": "F", "sex": "M"}},
			{Key: "parent_self", Args: map[string]string{"parent": "mother"}}},
			"Chữ số thứ tư của số định danh (1) chỉ giới tính nữ, nhưng hồ sơ ghi nam; Số định danh của người mẹ là số của chính công dân",
			"ID digit 1 encodes sex female, the record says male; The mother's ID is the citizen's own"},
		{"dates", quality.Evidence{{Key: "dead_in_household", Args: map[string]string{"death_date": "2026-01-05", "household": "HK1"}}},
			"Đã mất ngày 05/01/2026 nhưng vẫn là thành viên hộ HK1", "Died 05/01/2026, still a member of household HK1"},
		{"stored before", quality.Evidence{{Key: quality.KeyText, Args: map[string]string{"text": "aged 16 without a card number"}}},
			"aged 16 without a card number", "aged 16 without a card number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := i18n.Vietnamese.Evidence(uiEvidence(tc.e)); got != tc.vi {
				t.Errorf("Vietnamese %q, want %q", got, tc.vi)
			}
			if got := i18n.English.Evidence(uiEvidence(tc.e)); got != tc.en {
				t.Errorf("English %q, want %q", got, tc.en)
			}
		})
	}
}
