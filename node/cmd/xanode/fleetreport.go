package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/report"
)

// fleetReport writes a commune's monthly report, as the city computes it,
// in CSV or XLSX (the officer UI's download, for city IT).
func fleetReport(ctx context.Context, cityURL, pkiDir string, args []string) error {
	fs := flag.NewFlagSet("fleet report", flag.ContinueOnError)
	commune := fs.String("commune", "", "5-digit commune code")
	month := fs.String("month", "", "YYYY-MM")
	format := fs.String("format", report.CSV, "csv or xlsx")
	out := fs.String("out", "", "file to write (default: standard output)")
	lang := fs.String("lang", string(i18n.Default), "language of the headings: vi or en")
	if err := fs.Parse(args); err != nil || *commune == "" || *month == "" || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode fleet --city URL --pki DIR report --commune C --month YYYY-MM [--format csv|xlsx] [--out FILE] [--lang vi|en]")
		return errUsage
	}
	l, ok := i18n.Parse(*lang)
	if !ok || (*format != report.CSV && *format != report.XLSX) {
		return fmt.Errorf("--format %q, --lang %q: want csv or xlsx, vi or en", *format, *lang)
	}
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	r, err := city.Report(ctx, *commune, *month)
	if err != nil {
		return err
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	write := report.WriteCSV
	if *format == report.XLSX {
		write = report.WriteXLSX
	}
	if err := write(w, l, r, communeName(r.Commune)); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(os.Stderr, "report of %s for %s written to %s\n", r.Commune, r.Month, *out)
	}
	return nil
}

// communeName names a commune the generator knows; "" for others.
func communeName(code string) string {
	name, _ := gen.CommuneName(code)
	return name
}
