package warehouse

// SetDeltaMaxShare makes files up to share of a group's bytes take the
// incremental path (deltaMaxShare) until the returned func restores it, so
// that a test's small batches exercise it.
func SetDeltaMaxShare(share float64) (restore func()) {
	old := deltaMaxShare
	deltaMaxShare = share
	return func() { deltaMaxShare = old }
}
