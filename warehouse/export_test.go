package warehouse

// SetDeltaMaxShare makes files up to share of a group's bytes take the
// incremental path (deltaMaxShare) until the returned func restores it, so
// that a test's small batches exercise it.
func SetDeltaMaxShare(share float64) (restore func()) {
	old := deltaMaxShare
	deltaMaxShare = share
	return func() { deltaMaxShare = old }
}

// SetBeforeBuild makes f run as a build of a group's tables starts, after
// the lake was listed (beforeBuild), until the returned func restores it,
// so that a test can publish files at that instant.
func SetBeforeBuild(f func()) (restore func()) {
	old := beforeBuild
	beforeBuild = f
	return func() { beforeBuild = old }
}
