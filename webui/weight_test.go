package webui

import (
	"sort"
	"testing"
)

// maxPageBytes is the budget of one page with its CSS and JS, uncompressed:
// an old office PC on a slow LAN switch must show any page at once. It was
// 30 KiB until the header's city link, the decision notices and the chip's
// face came; the assets are cached for good after the first page anyway.
const maxPageBytes = 36 << 10

func TestPageWeight(t *testing.T) {
	e, _ := fullEnv(t)
	assets := e.srv.assets.Size("app.css") + e.srv.assets.Size("app.js")
	t.Logf("assets: app.css %d B, app.js %d B", e.srv.assets.Size("app.css"), e.srv.assets.Size("app.js"))
	pages := mainPages(t, e)
	names := make([]string, 0, len(pages))
	for name := range pages {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		total := len(pages[name].Body) + assets
		t.Logf("%-28s HTML %5d B, with assets %5d B", name, len(pages[name].Body), total)
		if total > maxPageBytes {
			t.Errorf("%s weighs %d B with assets, budget %d B", name, total, maxPageBytes)
		}
	}
}
