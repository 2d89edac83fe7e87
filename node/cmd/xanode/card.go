package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/cardtool"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc"
	"github.com/xanode/xanode/reader/vncard"
)

func init() {
	commands["card"] = command{summary: "read a chip card, make or emulate a software card", run: runCard}
}

// Exit statuses of `card read` (DESIGN.md, "Command line and HTTP surface").
const (
	exitPANotOK      = 3
	exitAccessDenied = 2
)

var cardCommands = map[string]func(ctx context.Context, args []string, stdout io.Writer) error{
	"read":    cardRead,
	"readers": cardReaders,
	"make":    cardMake,
	"emulate": cardEmulate,
}

func runCard(ctx context.Context, args []string) error {
	if len(args) == 0 || cardCommands[args[0]] == nil {
		fmt.Fprintln(os.Stderr, "usage: xanode card read|readers|make|emulate [flags]  (xanode card read -h for the flags)")
		return errUsage
	}
	err := cardCommands[args[0]](ctx, args[1:], os.Stdout)
	if errors.Is(err, errUsage) && args[0] == "read" {
		// DESIGN.md, "Command line and HTTP surface": card read exits 2 only for a wrong key; a
		// command-line mistake is "any other error".
		return &exitError{code: 1, err: err}
	}
	return err
}

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}

func cardRead(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("card read", flag.ContinueOnError)
	readerName := fs.String("reader", "", "PC/SC reader `name` as 'xanode card readers' lists it, or any (the default: the first reader with a card; needs a binary built with -tags pcsc)")
	emulateDir := fs.String("emulate-card", "", "read the card directory `DIR` through the in-process emulator instead of a reader")
	id := fs.String("id", "", "12-digit personal ID; the BAC document number is its last 9 digits")
	doc := fs.String("doc", "", "document number as in the MRZ, instead of --id")
	dob := fs.String("dob", "", "date of birth as `YYMMDD`")
	exp := fs.String("exp", "", "date of expiry as `YYMMDD`")
	can := fs.String("can", "", "card access number for PACE: on the CCCD the last 6 digits of the ID (--id alone, without --dob and --exp, uses them)")
	skipFace := fs.Bool("skip-face", false, "do not read DG2 (the face image)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	var cscas stringsFlag
	fs.Var(&cscas, "csca", "CSCA certificate `file` (PEM or DER), folder of them, or ICAO master list; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	store, err := cardtool.LoadTrust(cscas)
	if err != nil {
		return err
	}
	key, err := cardtool.Key(*id, *doc, *dob, *exp, *can)
	if err != nil {
		fmt.Fprintln(fs.Output(), err)
		fs.Usage()
		return errUsage
	}
	t, closeCard, err := cardtool.Open(ctx, *readerName, *emulateDir)
	if err != nil {
		return err
	}
	defer closeCard()
	res, err := reader.Config{SkipFace: *skipFace, Trust: store}.Read(ctx, t, key)
	switch {
	case errors.Is(err, reader.ErrAccessDenied):
		return &exitError{code: exitAccessDenied, err: fmt.Errorf("%w: check --id/--doc, --dob and --exp (or --can) against the card", err)}
	case err != nil:
		return err
	}
	if err := cardtool.Print(stdout, res, *asJSON); err != nil {
		return err
	}
	if res.PA.Status != reader.StatusOK {
		return &exitError{code: exitPANotOK, err: fmt.Errorf("card read, but passive authentication %s: %s", res.PA.Status, strings.Join(res.PA.Reasons, "; "))}
	}
	return nil
}

// cardReaders lists the PC/SC readers and what each holds.
func cardReaders(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("card readers", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	states, err := pcsc.Status(ctx)
	if err != nil {
		return err
	}
	if len(states) == 0 {
		return fmt.Errorf("pcscd lists no reader: %w", pcsc.ErrNoReader)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "READER\tCARD")
	for _, st := range states {
		card := "no card"
		switch {
		case st.Mute:
			card = "card present, not answering (place it again)"
		case st.Card:
			card = fmt.Sprintf("card present (ATR %X)", st.ATR)
		}
		if st.InUse {
			card += ", in use by a program"
		}
		fmt.Fprintf(w, "%s\t%s\n", st.Name, card)
	}
	return w.Flush()
}

func cardMake(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("card make", flag.ContinueOnError)
	out := fs.String("out", "", "card directory `DIR` to write (COM, CardAccess, DG1, DG2, DG13, DG14, DG15, SOD, and csca.pem, ds.pem, chip-keys.pem)")
	face := fs.String("face", "sample", "the portrait in DG2: sample (a synthetic JPEG drawn for the ID), sample-jp2 (a synthetic JPEG 2000 image), none (no DG2), or a JPEG or JPEG 2000 `file`")
	var p emulator.Person
	fs.StringVar(&p.ID, "id", "", "12-digit personal ID")
	fs.StringVar(&p.FullName, "name", "", "full name with diacritics")
	dob := fs.String("dob", "", "date of birth as `YYYY-MM-DD`")
	fs.StringVar(&p.Sex, "sex", "", "M or F")
	exp := fs.String("exp", "", "date of expiry as `YYYY-MM-DD`")
	issue := fs.String("issue", "", "date of issue as `YYYY-MM-DD` (default: today)")
	fs.StringVar(&p.Nationality, "nationality", "Việt Nam", "nationality")
	fs.StringVar(&p.Ethnicity, "ethnicity", "Kinh", "ethnicity")
	fs.StringVar(&p.Religion, "religion", "Không", "religion")
	fs.StringVar(&p.Hometown, "hometown", "", "hometown (quê quán)")
	fs.StringVar(&p.Residence, "residence", "", "permanent residence (thường trú)")
	fs.StringVar(&p.Characteristics, "characteristics", "", "identifying characteristics")
	fs.StringVar(&p.Father, "father", "", "father's full name")
	fs.StringVar(&p.Mother, "mother", "", "mother's full name")
	fs.StringVar(&p.Spouse, "spouse", "", "spouse's full name")
	fs.StringVar(&p.OldID, "old-id", "", "old 9-digit ID")
	withPACE := fs.Bool("pace", true, "announce PACE in EF.CardAccess (ECDH generic mapping, brainpoolP256r1, AES-128) as the CCCD does")
	cloneCheck := fs.String("clone-check", "ca,aa", "anti-cloning keys on the chip: ca (DG14, ECDH brainpoolP256r1, AES), aa (DG15, see --aa-key), both as ca,aa, or none")
	aaKey := fs.String("aa-key", emulator.DefaultAAKey, "active authentication key with aa: RSA-2048 to RSA-4096, or ECDSA on a `curve` (brainpoolP256r1, P-256, ...)")
	pkiKind := fs.String("pki", "vietnam", "test PKI: vietnam (brainpoolP512r1 CSCA with explicit parameters, brainpoolP256r1 Document Signer) or p256")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	now := time.Now()
	if *issue == "" {
		*issue = now.Format(time.DateOnly)
	}
	var err error
	for _, d := range []struct {
		name, value string
		into        *vncard.Date
	}{{"--dob", *dob, &p.DateOfBirth}, {"--exp", *exp, &p.ExpiryDate}, {"--issue", *issue, &p.IssueDate}} {
		if *d.into, err = vncard.ParseDate(d.value); err != nil {
			fmt.Fprintf(fs.Output(), "%s: %v\n", d.name, err)
			fs.Usage()
			return errUsage
		}
	}
	if *out == "" {
		fmt.Fprintln(fs.Output(), "--out is required")
		fs.Usage()
		return errUsage
	}
	opts := emulator.VietnamPKI
	switch *pkiKind {
	case "vietnam":
	case "p256":
		opts = emulator.PKIOptions{}
	default:
		fmt.Fprintf(fs.Output(), "--pki %q: want vietnam or p256\n", *pkiKind)
		fs.Usage()
		return errUsage
	}
	chip, err := cardtool.ChipKeys(*cloneCheck, *aaKey)
	if err != nil {
		fmt.Fprintln(fs.Output(), err)
		fs.Usage()
		return errUsage
	}
	if p.Face, err = cardtool.Face(*face, p.ID); err != nil {
		return err
	}
	pki, err := emulator.NewTestPKIWith(now, opts)
	if err != nil {
		return err
	}
	if err := emulator.WriteCard(*out, p, pki, chip, *withPACE); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote card %s to %s (MRZ key: --id %s --dob %s --exp %s; CAN: --can %s); test CSCA in %s/csca.pem\n",
		p.ID, *out, p.ID, p.DateOfBirth.YYMMDD(), p.ExpiryDate.YYMMDD(), p.ID[6:], *out)
	return err
}

func cardEmulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("card emulate", flag.ContinueOnError)
	dir := fs.String("card", "", "card directory `DIR` to present")
	addr := fs.String("vpcd", emulator.DefaultVPCDAddr, "pcscd's vpcd driver `HOST:PORT` (35963 is slot 0, 35964 slot 1)")
	quirk := fs.Bool("quirk-cccd", true, "answer SELECT MF with 6D00 like the real CCCD")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(fs.Output(), "--card is required")
		fs.Usage()
		return errUsage
	}
	c, err := cardtool.LoadCard(*dir, emulator.Options{QuirkCCCD: *quirk})
	if err != nil {
		return err
	}
	return c.ServeVPCD(ctx, *addr, func() { fmt.Fprintf(stdout, "READY %s (card %s); stop with Ctrl-C\n", *addr, *dir) })
}
