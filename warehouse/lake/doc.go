// Package lake is the warehouse's storage: Hive-partitioned Parquet files
// under one directory, written so that every Kafka record lands exactly once.
//
// A Batch gathers the rows of a contiguous offset range [from, next) of one
// topic partition into temporary Parquet files. Commit makes it durable in
// one step: the files are fsynced, then a manifest naming the range is
// hard-linked into _manifests/<topic>/<partition>/<from>.json. A hard link
// fails when the name exists, so of two writers that start from the same
// offset (a zombie after a rebalance, a restarted process) exactly one
// commits; the other learns ErrConflict and must resume from Next. After the
// link the files are renamed into place; a crash between the link and the
// renames is finished by the next Open. Offsets are committed to Kafka only
// after Commit, and the lake, not Kafka, says where to resume.
//
// Compact (compact.go) merges the small files of a topic partition in a
// Hive directory into one named with the range [a, b) they cover; that
// file supersedes them (Superseded, LiveFiles: the one rule every reader
// applies) until they are deleted after a grace period.
//
//	<dir>/<dataset>/<key>=<value>/<topic>-<partition>-<from>-<next>.parquet
//	<dir>/_manifests/<topic>/<partition>/<from>.json
//	<dir>/_tmp/<process>/<flush>/...   (never read by the views)
//	<dir>/_compact.lock                (one compactor at a time)
package lake
