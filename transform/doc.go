// Package transform turns raw Kafka records into warehouse rows: it decodes the
// message shapes of the contract (section 2), validates them, replaces personal
// data by keyed hashes (section 5) and derives the fields the views need.
//
// Decoders never fail a partition: a record they cannot use becomes a
// Rejection with a reason, and the rest of the record (other items of an array
// or envelope) still lands.
package transform
