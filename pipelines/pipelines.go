package pipelines

import (
	"github.com/tayninh/ktxh/ingest"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// Default topic names (contract section 2).
const (
	TopicDossiers  = "onestop.dossiers"
	TopicProgress  = "onestop.progress"
	TopicDocuments = "egov.documents"
	TopicStaffing  = "staffing.records"
)

// Topics are the source topic names, each overridable.
type Topics struct {
	Dossiers, Progress, Documents, Staffing string
}

// DefaultTopics returns the contract's names.
func DefaultTopics() Topics {
	return Topics{Dossiers: TopicDossiers, Progress: TopicProgress, Documents: TopicDocuments, Staffing: TopicStaffing}
}

// All lists the topic names.
func (t Topics) All() []string {
	return []string{t.Dossiers, t.Progress, t.Documents, t.Staffing}
}

// MaxValue bounds a record value (contract section 3).
const (
	MaxValue     = 1 << 20
	MaxEgovValue = 64 << 20
)

// Datasets are every dataset the lake holds besides the quarantine.
func Datasets() []lake.Dataset {
	return []lake.Dataset{
		lake.NewDataset(transform.DatasetOnestopSnapshots, "month", func(r *transform.DossierSnapshot) string { return r.Month }),
		lake.NewDataset(transform.DatasetOnestopProgress, "month", func(r *transform.ProgressStep) string { return r.Month }),
		lake.NewDataset(transform.DatasetEgovDocuments, "month", func(r *transform.EgovDocument) string { return r.Month }),
		lake.NewDataset(transform.DatasetEgovStatus, "month", func(r *transform.EgovStatus) string { return r.Month }),
		lake.NewDataset(transform.DatasetStaffRecords, "year", func(r *transform.StaffRecord) string { return r.Year }),
		lake.NewDataset(transform.DatasetStaffQuota, "year", func(r *transform.StaffQuota) string { return r.Year }),
	}
}

// Sources wires each topic to its decoder. h is shared by the decoders of
// one partition worker only through NewDecoder, which makes a fresh one.
func Sources(t Topics, piiKey []byte) []ingest.Source {
	hasher := func() *transform.Hasher {
		h, err := transform.NewHasher(piiKey)
		if err != nil {
			panic(err) // the key is checked by the caller before
		}
		return h
	}
	return []ingest.Source{
		{Topic: t.Dossiers, MaxBytes: MaxValue, NewDecoder: func() transform.Decoder { return transform.NewOnestopDecoder(hasher()) }},
		{Topic: t.Progress, MaxBytes: MaxValue, NewDecoder: func() transform.Decoder { return transform.NewProgressDecoder() }},
		{Topic: t.Documents, MaxBytes: MaxEgovValue, NewDecoder: func() transform.Decoder { return transform.NewEgovDecoder() }},
		{Topic: t.Staffing, MaxBytes: MaxValue, NewDecoder: func() transform.Decoder { return transform.NewStaffingDecoder(hasher()) }},
	}
}
