package node

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Comments cite the repository's design document by section title: the
// file name DESIGN.md, an optional comma, then the title of one of its
// "## " sections in double quotes. These tests keep the citations true:
// a renamed or removed section fails here, naming every comment that
// still cites it. The older form, a section number of a document outside
// the repository, is refused.

// designCitation matches a citation. A comment may break the line between
// the file name and the title, or inside the title: line breaks followed
// by "//" are allowed there. The file name must stand alone, not after a
// slash, a dot or a letter, so that node/DESIGN.md and sync/DESIGN.md,
// which have no sections, are never taken for the root document. The title
// starts with a letter, so a string literal that merely ends in the file
// name is not a citation.
var designCitation = regexp.MustCompile(`(?:^|[^/\w.])(DESIGN\.md),?(?:\s|//)*"(\pL[^"\n]*(?:\n[ \t]*//[^"\n]*)*)"`)

// oldCitation is the form that named a section number of the shared
// design outside the repository.
var oldCitation = regexp.MustCompile(`DESIGN(?: section)?(?:\s|//)+\d`)

// commentBreak is a line break inside a comment, with the next line's
// comment marker and indentation.
var commentBreak = regexp.MustCompile(`\s*\n[ \t]*//\s*`)

type citation struct {
	line  int // 1-based line of the file name
	title string
}

// designCitations returns the citations in src, in order, with titles as
// one line of single-spaced text.
func designCitations(src []byte) []citation {
	var out []citation
	for _, m := range designCitation.FindAllSubmatchIndex(src, -1) {
		title := commentBreak.ReplaceAllString(string(src[m[4]:m[5]]), " ")
		out = append(out, citation{
			line:  1 + bytes.Count(src[:m[2]], []byte("\n")),
			title: strings.Join(strings.Fields(title), " "),
		})
	}
	return out
}

// designSections returns the titles of the "## " sections of a markdown
// document, outside fenced code blocks, in order.
func designSections(doc []byte) []string {
	var titles []string
	fenced := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```"):
			fenced = !fenced
		case !fenced && strings.HasPrefix(line, "## "):
			titles = append(titles, strings.TrimSpace(strings.TrimPrefix(line, "## ")))
		}
	}
	return titles
}

// TestDesignCitations requires every citation in every Go file of the
// module to name a section of ../DESIGN.md, and the sections' titles to be
// unique (a citation must name one section).
func TestDesignCitations(t *testing.T) {
	const root = ".."
	doc, err := os.ReadFile(filepath.Join(root, "DESIGN.md"))
	if err != nil {
		t.Fatalf("the design document: %v", err)
	}
	sections := designSections(doc)
	if len(sections) == 0 {
		t.Fatal("DESIGN.md has no \"## \" sections")
	}
	have := map[string]bool{}
	for _, s := range sections {
		if have[s] {
			t.Errorf("DESIGN.md has two sections titled %q: a citation must name one", s)
		}
		have[s] = true
	}
	cited := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if loc := oldCitation.FindIndex(src); loc != nil && !strings.HasSuffix(path, "designdoc_test.go") {
			t.Errorf("%s:%d: cites a design section by number; cite DESIGN.md by title, e.g. DESIGN.md, \"Trust model\"",
				filepath.ToSlash(rel), 1+bytes.Count(src[:loc[0]], []byte("\n")))
		}
		for _, c := range designCitations(src) {
			cited++
			if !have[c.title] {
				t.Errorf("%s:%d: cites DESIGN.md section %q, which DESIGN.md does not have; its sections are %q",
					filepath.ToSlash(rel), c.line, c.title, sections)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d citations of %d sections checked", cited, len(sections))
}

// TestDesignCitationForms pins down what counts as a citation.
func TestDesignCitationForms(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []citation
	}{
		{"// The table (DESIGN.md, \"Trust model\"): for every operation",
			[]citation{{1, "Trust model"}}},
		{"// without a comma, DESIGN.md \"Sync\", is one too",
			[]citation{{1, "Sync"}}},
		{"package x\n\n// the command half of the table (DESIGN.md,\n// \"Trust model\"): the one role",
			[]citation{{3, "Trust model"}}},
		{"\t// the conflict rules (DESIGN.md, \"Conflict\n\t// resolution\"). The checks run",
			[]citation{{1, "Conflict resolution"}}},
		{"// DESIGN.md, \"Authority\" and DESIGN.md, \"Trust model\"",
			[]citation{{1, "Authority"}, {1, "Trust model"}}},
		{"// see node/DESIGN.md, \"Why\" and sync/DESIGN.md \"Why\"", nil},
		{"// DESIGN section 5 decides it; see DESIGN.md beside it", nil},
		{"name := \"DESIGN.md\", \"x\"", nil},
		{"files := []string{\"README.md\", \"DESIGN.md\"}\n\t// \"quoted\" later", nil},
	} {
		if got := designCitations([]byte(tc.src)); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.src, got, tc.want)
		}
	}
	doc := "# x\n\n## One\n\n```\n## not a section\n```\n\n## Two words \n### sub\n"
	if got, want := designSections([]byte(doc)), []string{"One", "Two words"}; !slices.Equal(got, want) {
		t.Errorf("sections %q, want %q", got, want)
	}
}
