package node

import (
	"crypto"
	"encoding/json"
	"fmt"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/sync/attest"
	"github.com/xanode/xanode/webui"
)

// maxAuditDetail is the longest detail the city takes in an audit entry
// (sync/wire).
const maxAuditDetail = 4096

// Attest signs a printed document with the box's node key (webui.Attester;
// see package attest), writes the proof to the audit log, which carries
// it to the city, and returns the verification code naming that entry.
// It needs no connection to the city.
func (a *officerUI) Attest(officer string, d webui.Document) (string, error) {
	l := a.n.current()
	if l == nil {
		_, _, err := a.live()
		return "", err
	}
	cert := a.n.cred.get()
	key, ok := cert.PrivateKey.(crypto.Signer)
	if !ok || len(cert.Certificate) == 0 {
		return "", fmt.Errorf("node: no node key to sign with")
	}
	st := attest.Statement{Kind: attest.KindResidence, Node: a.n.ID.Node, Commune: l.edge.Commune(), Officer: officer,
		Issued: d.Issued, Subset: d.Subset, Citizen: d.Citizen, Members: d.Members}
	for _, line := range d.Lines {
		st.Lines = append(st.Lines, attest.Line{Field: line.Field, Value: line.Value})
	}
	// The leaf only: the fleet CA's certificate is the city's to add, and
	// an audit entry's detail is bounded.
	proof, err := attest.Sign(st, key, cert.Certificate[:1])
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(proof)
	if err != nil {
		return "", err
	}
	if len(edge.AttestPrefix)+len(body) > maxAuditDetail {
		return "", fmt.Errorf("node: the document's proof has %d bytes, an audit entry holds %d", len(body), maxAuditDetail)
	}
	seq, err := l.store.AuditSeq(a.now(), officer, edge.AuditPrint, d.Citizen, edge.AttestPrefix+string(body))
	if err != nil {
		return "", err
	}
	return proof.Code(a.n.ID.Node, seq), nil
}
