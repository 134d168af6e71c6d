// Package warehouse serves the lake through DuckDB: an in-memory database
// whose views read the lake's Parquet files, the dimensions (built-in or
// dims/*.csv), the KPI views and macros of contract section 4, and a
// sandbox that lets analysts run read-only SQL and nothing else.
//
// It is the only package (with cmd) that links DuckDB.
package warehouse
