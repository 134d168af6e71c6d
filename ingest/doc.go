// Package ingest runs the Kafka consumers: one kafka-go consumer group over
// every source topic, a worker per assigned partition that decodes records
// into a lake batch and commits it when it is big or old enough, and only
// then commits the offset to Kafka.
//
// The lake is the source of truth for where to resume: a worker starts at
// the lake's Next for its partition whatever Kafka's committed offset says,
// so a crash between the lake commit and the Kafka commit re-reads nothing
// twice and loses nothing.
package ingest
