package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/attest"
)

func init() {
	commands["verify-document"] = command{"check a printed document's verification code (or a saved proof) against the city root", runVerifyDocument}
}

// runVerifyDocument checks a printed confirmation. With --city it asks
// the city for the proof behind the code (city IT's admin certificate);
// with --proof it reads one saved before. Either way the proof is checked
// here, against the city root's certificate alone: the answer does not
// rest on the city's word. Exit 0 genuine, 3 not genuine, 1 other errors.
func runVerifyDocument(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify-document", flag.ContinueOnError)
	city := fs.String("city", "", "API URL of a city node (with --pki)")
	pkiDir := fs.String("pki", "", "PKI folder: the admin certificate (with --city) and root.crt")
	root := fs.String("root", "", "the city root's certificate (PEM); default: root.crt in --pki")
	proofFile := fs.String("proof", "", "check this saved proof (JSON) instead of asking the city")
	save := fs.String("save", "", "write the proof the city gave to this file")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, `usage: xanode verify-document --city URL --pki DIR [--save FILE] CODE
       xanode verify-document --root root.crt --proof FILE [CODE]`)
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 || (*proofFile == "" && (*city == "" || *pkiDir == "" || fs.NArg() != 1)) {
		fs.Usage()
		return errUsage
	}
	code := fs.Arg(0)
	roots, err := rootPool(*root, *pkiDir)
	if err != nil {
		return err
	}
	var proof attest.Proof
	if *proofFile != "" {
		b, err := os.ReadFile(*proofFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &proof); err != nil {
			return fmt.Errorf("%s: %w", *proofFile, err)
		}
	} else {
		admin, err := adminCity(*pkiDir, *city)
		if err != nil {
			return err
		}
		defer admin.Close()
		ans, err := admin.Document(ctx, code)
		if err != nil {
			return err
		}
		if ans.Proof == nil {
			return fmt.Errorf("the city's answer about %s holds no proof", code)
		}
		proof = *ans.Proof
		if *save != "" {
			pb, _ := json.MarshalIndent(proof, "", "  ")
			if err := os.WriteFile(*save, pb, 0o644); err != nil {
				return err
			}
		}
	}
	if code != "" {
		if _, _, chk, err := attest.ParseCode(code); err != nil || !proof.Matches(chk) {
			return &exitError{code: 3, err: fmt.Errorf("NOT GENUINE: the code %s does not belong to this proof", code)}
		}
	}
	st, err := attest.Verify(&proof, roots, nil, func(c *x509.Certificate) (string, string, error) {
		id, role, err := certs.NodeIdentity(c)
		return id, string(role), err
	})
	if errors.Is(err, attest.ErrInvalid) {
		return &exitError{code: 3, err: fmt.Errorf("NOT GENUINE: %w", err)}
	}
	if err != nil {
		return err
	}
	vn := time.FixedZone("ICT", 7*60*60)
	fmt.Printf("GENUINE: %s printed by %s (commune %s) on %s, officer %s, data version %d\n",
		st.Kind, st.Node, st.Commune, st.Issued.In(vn).Format("02/01/2006 15:04"), st.Officer, st.Subset)
	fmt.Printf("  citizen: %s\n", st.Citizen)
	for _, l := range st.Lines {
		fmt.Printf("  %-18s %s\n", l.Field+":", l.Value)
	}
	if len(st.Members) > 0 {
		fmt.Printf("  household members: %s\n", strings.Join(st.Members, ", "))
	}
	return nil
}

// rootPool reads the city root's certificate from file, or from the PKI
// folder's root.crt.
func rootPool(file, pkiDir string) (*x509.CertPool, error) {
	if file == "" {
		if pkiDir == "" {
			return nil, errors.New("give --root or --pki: the city root's certificate checks the proof")
		}
		file = pkiDir + "/" + certs.RootCertFile
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for blk, rest := pem.Decode(b); blk != nil; blk, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		pool.AddCert(c)
	}
	return pool, nil
}
