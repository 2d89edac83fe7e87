package main

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/api"
)

// loadCertificates reads the --ml-signer files: certificates, PEM (every
// CERTIFICATE block) or DER.
func loadCertificates(paths []string) ([]*trust.Certificate, error) {
	var out []*trust.Certificate
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--ml-signer: %w", err)
		}
		ders := [][]byte{b}
		if bytes.Contains(b, []byte("-----BEGIN")) {
			ders = nil
			for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
				if block.Type == "CERTIFICATE" {
					ders = append(ders, block.Bytes)
				}
			}
		}
		if len(ders) == 0 {
			return nil, fmt.Errorf("--ml-signer %s: no CERTIFICATE block", p)
		}
		for _, der := range ders {
			c, err := trust.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("--ml-signer %s: %w", p, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// detectUpload tells an ICAO master list (CMS SignedData) from a CRL, in
// DER or PEM, and returns its kind and DER.
func detectUpload(b []byte) (string, []byte, error) {
	if block, _ := pem.Decode(b); block != nil {
		b = block.Bytes
	}
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(b, &ci); err == nil && len(rest) == 0 && ci.Type.Equal(oidSignedData) {
		return api.UploadMasterList, b, nil
	}
	if _, err := trust.ParseCRL(b); err == nil {
		return api.UploadCRL, b, nil
	}
	if _, err := trust.ParseCertificate(b); err == nil {
		return "", nil, errors.New("a single certificate: the city takes CSCA certificates only in a master list signed by one of its master-list signers (xanode city --ml-signer)")
	}
	return "", nil, errors.New("neither an ICAO CSCA master list nor a CRL (DER or PEM)")
}

// fleetCSCA runs `fleet csca add|list|remove`.
func fleetCSCA(ctx context.Context, cityURL, pkiDir string, args []string) error {
	usage := func() error {
		fmt.Fprintln(os.Stderr, `usage: xanode fleet --city URL --pki DIR csca add --file F [--source TEXT]
       xanode fleet --city URL --pki DIR csca list
       xanode fleet --city URL --pki DIR csca remove FINGERPRINT…`)
		return errUsage
	}
	if len(args) < 2 {
		return usage()
	}
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	switch args[1] {
	case "add":
		fs := flag.NewFlagSet("fleet csca add", flag.ContinueOnError)
		file := fs.String("file", "", "an ICAO CSCA master list or a CSCA's CRL, DER or PEM (detected)")
		source := fs.String("source", "", "where it came from, kept with it (e.g. \"ICAO PKD 2026-05\")")
		if err := fs.Parse(args[2:]); err != nil || *file == "" {
			return usage()
		}
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		kind, der, err := detectUpload(b)
		if err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
		ans, err := city.UploadTrust(ctx, api.TrustUpload{Kind: kind, Data: der, Source: *source})
		if err != nil {
			return err
		}
		printTrustAnswer(kind, ans)
		return nil
	case "remove":
		if len(args) < 3 {
			return usage()
		}
		ans, err := city.RemoveTrust(ctx, args[2:])
		if err != nil {
			return err
		}
		printTrustAnswer("removal", ans)
		return nil
	case "list":
		v, err := city.Trust(ctx)
		if err != nil {
			return err
		}
		printTrust(v, time.Now())
		return nil
	}
	return usage()
}

func printTrustAnswer(what string, a *api.TrustAnswer) {
	fmt.Printf("%s: %d added, %d older CRLs replaced, %d removed, %d already held; trust version %d\n",
		what, a.Added, a.Replaced, a.Removed, a.Unchanged, a.Version)
	if a.Signer != "" {
		fmt.Printf("signed by %s\n", a.Signer)
	}
	for _, s := range a.Skipped {
		fmt.Printf("skipped: %s\n", s)
	}
}

func printTrust(v *api.TrustView, now time.Time) {
	if len(v.Items) == 0 {
		fmt.Println("the CSCA trust set is empty: load a master list with `xanode fleet csca add --file LIST.ml`")
		return
	}
	fmt.Printf("trust version %d, last changed %s (%s ago)\n", v.Version, v.Changed.Local().Format(time.RFC3339), now.Sub(v.Changed).Round(time.Minute))
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tFINGERPRINT\tNAME\tVALID\tADDED\tSOURCE")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.DateOnly)
	}
	for _, it := range v.Items {
		name, valid := it.Subject, "until "+day(it.NotAfter)
		if it.Kind == "crl" {
			name, valid = it.Issuer, day(it.ThisUpdate)+" → "+day(it.NextUpdate)
			if it.Stale {
				valid += " STALE"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s ago by %s\t%s\n", it.Kind, it.Fingerprint, name, valid,
			(time.Duration(it.AgeSeconds) * time.Second).Round(time.Minute), it.By, it.Source)
	}
	w.Flush()
}
