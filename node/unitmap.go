package node

import (
	"fmt"
	"os"

	"github.com/xanode/xanode/node/registry"
)

// LoadUnitMap reads the file city IT provides that maps administrative
// units before the reform of 1 July 2025 to those in force (the format of
// registry.ParseUnitMap; a sample is testdata/unitmap/can-tho-2025.csv).
func LoadUnitMap(path string) (*registry.UnitMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("unit map: %w", err)
	}
	defer f.Close()
	m, err := registry.ParseUnitMap(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
