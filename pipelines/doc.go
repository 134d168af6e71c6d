// Package pipelines declares what ktxh moves: each source topic with its
// decoder, and each lake dataset with its row type and partitioning. Adding
// a stream is adding entries here and a decoder in transform; the ingest,
// lake and view machinery is generic.
package pipelines
