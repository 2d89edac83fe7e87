package trust

import (
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/xanode/xanode/reader/sod"
)

// Report is the outcome of passive authentication.
type Report struct {
	// Verified is true when every check passed: the data read are those the
	// issuing country signed.
	Verified bool
	// Reasons says why it was not verified, one finding each.
	Reasons []string
	// Notes are findings that do not fail it, e.g. a stale CRL.
	Notes []string
	// CSCA and DocumentSigner are the subjects of the chain, as far as it
	// was found.
	CSCA, DocumentSigner string
}

func (r *Report) fail(format string, args ...any) {
	r.Reasons = append(r.Reasons, fmt.Sprintf(format, args...))
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Verify runs passive authentication on EF.SOD as read from a chip, with
// the data groups read (number → content) and the time of reading. It
// checks every data group's hash, the signed attributes, the signature with
// the Document Signer certificate that EF.SOD carries, that certificate's
// chain to a CSCA in the store, both certificates' validity at the time,
// and the CSCA's CRLs. All findings are reported, not just the first.
func (s *Store) Verify(rawSOD []byte, dataGroups map[int][]byte, at time.Time) Report {
	var r Report
	sd, err := sod.Parse(rawSOD)
	if err != nil {
		r.fail("EF.SOD cannot be read: %v", err)
		return r
	}
	checkHashes(&r, sd, dataGroups)
	ds, err := signerOf(&sd.SignedData)
	if err != nil {
		r.fail("Document Signer: %v", err)
		return r
	}
	r.DocumentSigner = ds.Subject
	if err := verifySignedData(&sd.SignedData, ds); err != nil {
		r.fail("EF.SOD is not signed by its Document Signer certificate: %v", err)
	}
	checkDocumentSigner(&r, ds, at)
	csca, err := s.issuerOf(ds)
	if err != nil {
		r.fail("%v", err)
		return r
	}
	r.CSCA = csca.Subject
	if !csca.ValidAt(at) {
		r.fail("CSCA certificate %q is valid from %s to %s, not at %s", csca.Subject, day(csca.NotBefore), day(csca.NotAfter), day(at))
	}
	s.checkRevocation(&r, ds, csca, at)
	r.Verified = len(r.Reasons) == 0
	return r
}

func checkHashes(r *Report, sd *sod.SOD, dataGroups map[int][]byte) {
	nums := make([]int, 0, len(dataGroups))
	for n := range dataGroups {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		if err := sd.CheckDataGroup(n, dataGroups[n]); err != nil {
			r.fail("%v", err)
		}
	}
	if len(nums) == 0 {
		r.fail("no data group was read, so nothing is authenticated")
	}
}

func checkDocumentSigner(r *Report, ds *Certificate, at time.Time) {
	if !ds.ValidAt(at) {
		r.fail("Document Signer certificate %q is valid from %s to %s, not at %s", ds.Subject, day(ds.NotBefore), day(ds.NotAfter), day(at))
	}
	if ds.unknownCritical != nil {
		r.fail("Document Signer certificate has an unknown critical extension %v", ds.unknownCritical)
	}
	if ds.KeyUsage != 0 && ds.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		r.fail("Document Signer certificate's key usage does not allow signatures")
	}
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// issuerOf finds the CSCA whose key signed the Document Signer
// certificate, from the cache when it was verified before.
func (s *Store) issuerOf(ds *Certificate) (*Certificate, error) {
	fp := fingerprint(ds.Raw)
	s.mu.RLock()
	cached := s.chains[fp]
	candidates := make([]*Certificate, 0, 2)
	for _, c := range s.cscas {
		if c.issued(ds) {
			candidates = append(candidates, c)
		}
	}
	total := len(s.cscas)
	s.mu.RUnlock()
	if cached != nil {
		return cached, nil
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: the trust store holds no CSCA", ErrUntrusted)
	}
	var errs []error
	for _, c := range candidates {
		err := ds.CheckSignatureFrom(c)
		if err == nil {
			s.mu.Lock()
			s.chains[fp] = c
			s.mu.Unlock()
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: no CSCA in the trust store (%d certificates) issued the Document Signer; its issuer is %q: load that country's CSCA or master list", ErrUntrusted, total, ds.Issuer)
	}
	return nil, fmt.Errorf("%w: the Document Signer certificate's signature does not verify with the CSCA %q: %w", ErrUntrusted, ds.Issuer, errors.Join(errs...))
}

// checkRevocation applies the CRLs the CSCA issued. A CRL whose signature
// does not verify is ignored (noted); a stale one is still applied.
func (s *Store) checkRevocation(r *Report, ds, csca *Certificate, at time.Time) {
	s.mu.RLock()
	crls := append([]*CRL(nil), s.crls...)
	s.mu.RUnlock()
	used := 0
	for _, crl := range crls {
		if !csca.issued(&Certificate{RawIssuer: crl.RawIssuer, Issuer: crl.Issuer}) {
			continue
		}
		if err := s.checkCRL(crl, csca); err != nil {
			r.note("a CRL of %q was ignored: its signature does not verify (%v)", crl.Issuer, err)
			continue
		}
		used++
		if when, revoked := crl.Revoked[ds.SerialNumber.Text(16)]; revoked {
			r.fail("the Document Signer certificate (serial %X) was revoked on %s", ds.SerialNumber, day(when))
		}
		if !crl.NextUpdate.IsZero() && at.After(crl.NextUpdate) {
			r.note("the CRL of %q was due for renewal on %s; later revocations are unknown", crl.Issuer, day(crl.NextUpdate))
		}
	}
	if used == 0 {
		r.note("revocation not checked: no CRL of %q was loaded", csca.Subject)
	}
}

func (s *Store) checkCRL(crl *CRL, csca *Certificate) error {
	s.mu.RLock()
	ok := s.crlOK[crl] == csca
	s.mu.RUnlock()
	if ok {
		return nil
	}
	if err := verifyCRL(crl, csca); err != nil {
		return err
	}
	s.mu.Lock()
	s.crlOK[crl] = csca
	s.mu.Unlock()
	return nil
}
