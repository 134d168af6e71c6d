// Package warehouse serves the lake through DuckDB: an in-memory database
// whose views read the lake's Parquet files, the dimensions (built-in or
// dims/*.csv), the KPI views and macros of contract section 4, and a
// sandbox that lets analysts run read-only SQL and nothing else.
//
// The KPIs read tables materialized from the slowest views (materialize.go):
// kept between processes in <lake>/_cache (cache.go), updated from the new
// files alone when batches land, rebuilt from the lake when nothing else
// will do.
//
// It is the only package (with cmd) that links DuckDB.
package warehouse
