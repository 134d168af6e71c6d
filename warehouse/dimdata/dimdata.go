// Package dimdata holds the built-in dimension tables as CSV files, the
// defaults that <lake>/dims/*.csv replace (contract section 4).
package dimdata

import "embed"

// FS holds the built-in dimension CSV files.
//
//go:embed *.csv
var FS embed.FS
