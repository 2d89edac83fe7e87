// Package certs is the city's PKI: the root CA, the fleet CA that issues
// node certificates for mutual TLS, the Ed25519 data-signing key that signs
// commune bundles, the raft/city node certificates and the admin client
// certificate of the fleet CLI. It also checks what peers present: node
// identities on TLS connections and data-signing certificates on bundles.
//
// It imports nothing of xanode's own, so that every role can use it.
//
// # Trust model
//
//   - The root CA (ECDSA P-256, 10 years) signs only the fleet CA and the
//     data-signing certificate. Nothing a running node does needs the root
//     key: Load never reads it, so the operator can move root.key offline.
//   - The fleet CA (ECDSA P-256, signed by the root, path length 0, usable
//     only for serverAuth and clientAuth) issues every node certificate.
//   - A node certificate names the node in Subject CommonName and its role
//     (city, edge, admin) as the single Subject OrganizationalUnit
//     "xanode-city", "xanode-edge" or "xanode-admin"; see NodeIdentity.
//     City certificates allow serverAuth and clientAuth and carry host
//     names; edge and admin certificates allow clientAuth only.
//   - The data-signing certificate holds an Ed25519 key, is issued directly
//     by the root, and has one extended key usage: the private OID
//     1.3.6.1.4.1.32473.1.1 ("xanode bundle signing"). Standard TLS stacks
//     therefore refuse it for serverAuth and clientAuth, and
//     VerifyDataSigner refuses any certificate without that marker, or with
//     another usage besides it, or not issued by the root itself (so a
//     compromised online fleet CA cannot mint bundle signers). The arc
//     1.3.6.1.4.1.32473 is the documentation enterprise number of RFC 5612;
//     a deployment that registers its own Private Enterprise Number should
//     move the marker under it before issuing production certificates.
//   - An edge's trust anchor is the root certificate alone (root.crt): city
//     nodes send the fleet CA as an intermediate, and bundles carry their
//     signer certificate.
//
// # Files
//
// Init writes, and Load reads, these files in a PKI directory. Keys are PEM
// "PRIVATE KEY" (PKCS#8) with mode 0600; certificates are PEM
// "CERTIFICATE". Node and admin certificate files hold the leaf followed by
// the fleet CA, so that they can be served as a chain.
//
//	root.crt            city root CA certificate (the edge's trust anchor)
//	root.key            root CA key (never read by Load; keep it offline)
//	fleet-ca.crt        fleet CA certificate
//	fleet-ca.key        fleet CA key
//	data-signing.crt    data-signing certificate (Ed25519, bundle-signing marker)
//	data-signing.key    data-signing key
//	admin.crt           admin client certificate of the fleet CLI (role admin)
//	admin.key           its key
//	nodes/<id>.crt      one city (raft) node certificate per node ID (role city)
//	nodes/<id>.key      its key
//
// Time is always passed in (now parameters, InitOptions.Now) so that tests
// can issue certificates in the past or the future.
package certs
