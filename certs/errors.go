package certs

import "errors"

// Errors of the PKI. They are wrapped with %w together with the file, node
// ID or certificate that was wrong; test for them with errors.Is.
var (
	// ErrExists: Init found PKI files in the target directory and will not
	// overwrite them.
	ErrExists = errors.New("a PKI already exists in this directory")
	// ErrMissing: Load did not find a file a PKI directory must hold.
	ErrMissing = errors.New("PKI file missing")
	// ErrBadFile: a file does not hold what its name says, a key does not
	// match its certificate, a certificate is not signed by its issuer, or a
	// key file is readable by others than its owner.
	ErrBadFile = errors.New("bad PKI file")
	// ErrInvalid: an argument is out of range (node ID, role, host, lifetime,
	// key type).
	ErrInvalid = errors.New("invalid certificate request")
	// ErrIdentity: a certificate carries no valid xanode node identity, or a
	// peer has the wrong role for the connection.
	ErrIdentity = errors.New("no valid node identity")
	// ErrNotDataSigner: a certificate is not a bundle-signing certificate.
	ErrNotDataSigner = errors.New("not a data-signing certificate")
	// ErrUntrusted: a certificate does not chain to the given roots at the
	// given time (the x509 error that says why is wrapped too).
	ErrUntrusted = errors.New("certificate not trusted")
)
