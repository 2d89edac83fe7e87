package wire

// FleetCRL answers GET /v1/crl: the fleet CA's revocation list of
// city-node, admin and monitor certificates (DER; empty when the city has
// none) and the fleet CA's certificate (DER) that signed it.
type FleetCRL struct {
	CRL     []byte `json:"crl,omitempty"`
	FleetCA []byte `json:"fleet_ca,omitempty"`
}
