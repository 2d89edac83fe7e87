package bench

import (
	"strings"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/client"
)

// adminCity is city IT's client of the city nodes at city (URLs separated
// by commas), with the admin certificate of the PKI in pkiDir.
func adminCity(pkiDir, city string) (*client.Admin, error) {
	pki, err := certs.LoadClient(pkiDir)
	if err != nil {
		return nil, err
	}
	return client.NewAdmin(strings.Split(city, ","), certs.ClientTLS(pki.Admin(), pki.RootPool()))
}
