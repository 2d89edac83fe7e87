package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func init() {
	Commands["ageing"] = Command{"push figures on a running cluster, then N changes, then the same figures (budget: after 10M changes ≥ 90% of fresh)", benchAgeing}
}

// benchAgeing measures the push figures of DESIGN.md, "Performance budgets" on a fresh
// cluster, loads it with many changes, and measures them again. Give it
// a new cluster: "fresh" means what it says. 10M changes need about
// 9 GB of disk per city node and some minutes.
func benchAgeing(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench ageing", flag.ContinueOnError)
	city := fs.String("city", "", "city API URLs, comma separated")
	pkiDir := fs.String("pki", "", "PKI folder (admin certificate and fleet CA)")
	n := fs.Int("changes", 10_000_000, "changes pushed between the two measurements")
	if err := fs.Parse(args); err != nil || *city == "" || *pkiDir == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: xanode bench ageing --city URL,URL,URL --pki DIR [--changes 10000000]")
		return ErrUsage
	}
	push := func(label string, changes, clients, batch int) error {
		fmt.Printf("== %s: %d changes, %d clients, batches of %d\n", label, changes, clients, batch)
		return benchPush(ctx, []string{"--city", *city, "--pki", *pkiDir, "--changes", strconv.Itoa(changes),
			"--clients", strconv.Itoa(clients), "--batch", strconv.Itoa(batch)})
	}
	figures := func(when string) error {
		for _, f := range []struct{ changes, clients, batch int }{{200_000, 4, 200}, {5_000, 1, 1}, {20_000, 4, 1}} {
			if err := push(when, f.changes, f.clients, f.batch); err != nil {
				return err
			}
		}
		return nil
	}
	if err := figures("fresh"); err != nil {
		return err
	}
	start := time.Now()
	if err := push("load", *n, 4, 200); err != nil {
		return err
	}
	fmt.Printf("(loaded in %s)\n", time.Since(start).Round(time.Second))
	return figures(fmt.Sprintf("after %d changes", *n))
}
