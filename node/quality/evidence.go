package quality

import (
	"encoding/json"
	"sort"
	"strings"
)

// Evidence is what a rule found, naming values (DESIGN.md, "Data
// quality"): one statement, or several of one finding (both parents, each
// address), each a message key with named values, so that a UI says it in
// its reader's language from its catalogs (webui/i18n, "evidence.<key>")
// and the city's state holds no language at all. Args maps are encoded
// with sorted keys (encoding/json), so equal evidence is equal bytes on
// every replica.
type Evidence []Statement

// Statement is one thing a rule found: a message key of EvidenceMessages
// and the values its message names. Arg names say how a UI shows a value:
// "field" and "fields" (separated by ", ") are field wire names, a name
// ending in "date" holds a registry date, "sex" and "id_sex" hold a sex
// code, "parent" is father or mother, "status" alive or deceased; any
// other value is shown as it is.
type Statement struct {
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// KeyText is the key of evidence written before evidence was structured:
// an English sentence, kept and shown as it is (Args "text").
const KeyText = "text"

// EvidenceMessages are the English messages of every evidence key, the
// rendering of logs, the benchmark and the tools ({name} is the value of
// Args[name]); the UIs' catalogs hold each key in Vietnamese and English.
// The map is shared: do not modify it.
var EvidenceMessages = map[string]string{
	KeyText:                   "{text}",
	"id_province":             "ID code {code} ({then}, now {now}) but birth registered in «{place}» ({province})",
	"id_sex":                  "ID digit {digit} encodes sex {id_sex}, record says {sex}",
	"id_century":              "ID digit {digit} encodes births {from}–{to}, born {birth_date}",
	"id_birth_year":           "ID year digits {digits}, born {birth_date}",
	"birth_future":            "born {birth_date}, after {as_of_date}",
	"death_before_birth":      "died {death_date}, before the birth {birth_date}",
	"death_future":            "died {death_date}, after {as_of_date}",
	"parent_self":             "{parent} is the citizen themself",
	"parent_age":              "{parent} {id} born {parent_birth_date}, {gap} years before the child ({birth_date})",
	"address_no_province":     "{field} «{address}» does not end with a province",
	"address_former_province": "{field} «{address}»: province {unit} no longer exists (now {now})",
	"address_not_in_force":    "{field} «{address}» does not end with a province in force",
	"address_district":        "{field} «{address}» names a district ({unit}): districts no longer exist",
	"address_above_commune":   "{field} «{address}» names a unit above the commune ({unit}) before the province",
	"address_township":        "{field} «{address}» names a township ({unit}): townships became communes",
	"address_no_commune":      "{field} «{address}» names no commune or ward before the province",
	"address_unknown_commune": "{field} «{address}»: {unit} is not a commune or ward of {province}",
	"required":                "{status} record without {fields}",
	"no_card":                 "aged {age} without a card number",
	"household_no_head":       "household {household}: no living head among {members} members",
	"household_heads":         "household {household}: {count} heads: {heads}",
	"duplicate":               "likeness {likeness}: «{name}» born {birth_date}, «{other_name}» born {other_birth_date}",
	"duplicate_elsewhere":     "likeness {likeness} with a record of another commune: «{name}» born {birth_date}; city IT decides",
	"chip_mismatch":           "{field}: card «{card}», record «{record}» ({assurance})",
	"unconfirmed":             "last confirmed {last_date}, {years} years before {as_of_date}",
	"temporary_expired":       "temporary residence ended {end_date}, still on record on {as_of_date}",
	"over_120":                "alive, aged {age} on {as_of_date}",
	"dead_in_household":       "deceased {death_date}, still a member of household {household}",
}

// EvidenceKeys lists the keys of EvidenceMessages, sorted.
func EvidenceKeys() []string {
	out := make([]string, 0, len(EvidenceMessages))
	for k := range EvidenceMessages {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// say makes evidence of one statement; kv are name, value pairs.
// DuplicateElsewhere is the evidence an office receives for a duplicate
// pair whose other record belongs to a commune it does not serve: the
// likeness and its own resident's name and birth date, never the other
// record's ID or values (DESIGN.md, "Data quality").
func DuplicateElsewhere(score int, name, birthDate string) Evidence {
	return say("duplicate_elsewhere", "likeness", permille(score), "name", name, "birth_date", birthDate)
}

func say(key string, kv ...string) Evidence { return Evidence{statement(key, kv...)} }

func statement(key string, kv ...string) Statement {
	s := Statement{Key: key, Args: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Args[kv[i]] = kv[i+1]
	}
	return s
}

// English renders the evidence in English, statements joined by "; ".
func (e Evidence) English() string {
	parts := make([]string, len(e))
	for i, s := range e {
		parts[i] = s.English()
	}
	return strings.Join(parts, "; ")
}

// String is the English rendering.
func (e Evidence) String() string { return e.English() }

// English renders one statement in English; an unknown key shows as
// "[key]" with its values, never as nothing.
func (s Statement) English() string {
	msg, ok := EvidenceMessages[s.Key]
	if !ok {
		return "[" + s.Key + "]" + argList(s.Args)
	}
	return fill(msg, func(name string) (string, bool) { v, ok := s.Args[name]; return v, ok })
}

func argList(args map[string]string) string {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(" " + k + "=" + args[k])
	}
	return b.String()
}

// fill replaces each {name} of msg by value(name); a name value does not
// know stays as written, so that a missing value is visible.
func fill(msg string, value func(name string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(msg[i:], '}')
		if j < 0 {
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

// MarshalJSON writes evidence written before it was structured back as the
// string it was, so that such a finding keeps its bytes until a rule
// finds it again; other evidence as its statements.
func (e Evidence) MarshalJSON() ([]byte, error) {
	if len(e) == 1 && e[0].Key == KeyText {
		return json.Marshal(e[0].Args["text"])
	}
	return json.Marshal([]Statement(e))
}

// UnmarshalJSON reads statements, or a string (a finding stored before
// evidence was structured) as one KeyText statement.
func (e *Evidence) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = nil
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err == nil {
		*e = Evidence{{Key: KeyText, Args: map[string]string{"text": text}}}
		return nil
	}
	var s []Statement
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*e = s
	return nil
}
