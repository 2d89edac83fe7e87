package i18n

import (
	"strings"
)

// Statement is one thing a data-quality rule found, as the city states it
// (DESIGN.md, "Data quality"): a key, whose message is "evidence.<Key>"
// in each catalog, and the values it names ({name} in the message).
type Statement struct {
	Key  string
	Args map[string]string
}

// Evidence says statements in l, joined by "; ". A value is shown as the
// reader reads it by its name: "field" and "fields" (wire names separated
// by ", ") as field labels, a name ending in "date" as a date (dd/mm/yyyy),
// "assurance" as the read's assurance; a value with a message of its own,
// "evidence.value.<name>.<value>" (sex, parent, status), as that
// message. Anything else, and a value that does not parse, as it is.
func (l Lang) Evidence(statements []Statement) string {
	parts := make([]string, len(statements))
	for i, s := range statements {
		msg := l.T("evidence." + s.Key)
		parts[i] = fill(msg, func(name string) (string, bool) {
			v, ok := s.Args[name]
			if !ok {
				return "", false
			}
			return l.evidenceValue(name, v), true
		})
	}
	return strings.Join(parts, "; ")
}

func (l Lang) evidenceValue(name, v string) string {
	if name == "id_sex" {
		name = "sex"
	}
	switch {
	case Has(l, "evidence.value."+name+"."+v):
		return l.T("evidence.value." + name + "." + v)
	case name == "field":
		return l.fieldLabel(v)
	case name == "fields":
		names := strings.Split(v, ",")
		for i, n := range names {
			names[i] = l.fieldLabel(strings.TrimSpace(n))
		}
		return strings.Join(names, ", ")
	case strings.HasSuffix(name, "date"):
		return displayDate(v)
	case name == "assurance" && Has(l, "assurance."+v):
		return l.T("assurance." + v)
	}
	return v
}

func (l Lang) fieldLabel(name string) string {
	if Has(l, "field."+name) {
		return l.T("field." + name)
	}
	return name
}

// fill replaces each {name} of msg by value(name); a name value does not
// know stays as written, so that a missing value is visible.
func fill(msg string, value func(name string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '{')
		j := strings.IndexByte(msg[max(i, 0):], '}')
		if i < 0 || j < 0 {
			break
		}
		b.WriteString(msg[:i])
		if v, ok := value(msg[i+1 : i+j]); ok {
			b.WriteString(v)
		} else {
			b.WriteString(msg[i : i+j+1])
		}
		msg = msg[i+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// displayDate writes a registry date (YYYY-MM-DD, YYYY-MM or YYYY) as
// officers read it, dd/mm/yyyy (mm/yyyy, yyyy); anything else as it is.
// The shell imports this package, and nothing of the project beyond it.
func displayDate(v string) string {
	parts := strings.Split(v, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return v
	}
	for i, p := range parts {
		if strings.Trim(p, "0123456789") != "" || i > 0 && len(p) != 2 {
			return v
		}
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}
