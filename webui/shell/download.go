package shell

import (
	"mime"
	"net/http"
	"strconv"
)

// Download answers with body as a file to save: its type, a name the
// browser proposes (quoted as RFC 6266 wants, any non-ASCII name given
// as filename* too), and its length.
func Download(w http.ResponseWriter, contentType, filename string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}
