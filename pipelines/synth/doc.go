// Package synth generates the synthetic Tây Ninh province behind `ktxh gen`
// and the demo: realistic, deterministic messages for every topic of the
// contract (section 2) — one-stop dossier snapshots and processing steps,
// eGov edXML document and status packages, staff records and quotas — from
// a seed, a range of months and a scale.
//
// The province (Province, and warehouse/dimdata/agencies.csv) has its
// People's Committee, ~20 departments, 9 districts and 95 communes until
// 2025, then the departments merged on 1 March 2025 and 36 communes of the
// two-tier government from 1 July 2025. The simulation is an event queue
// advanced day by day: each dossier is planned at submission (reception,
// processing, supplement requests, apologies, fees, result) and its steps
// are played in time order, so memory holds only what is pending.
//
// What the data is meant to show: land (G13-TN02) the largest and slowest
// sector with a backlog at the districts, an on-time rate around 85-95%
// improving over the years, apologies for only some late dossiers, the
// online share rising from ~10% (2019) to ~60% (2026), fewer receptions
// around Tết, eGov documents mostly electronic and signed, and headcount
// drifting down with the quotas of 39-NQ/TW and 40-KL/TW.
package synth
