-- One-stop current state (contract 4.1). The current state of a dossier is
-- its snapshot with the greatest (last_event_at, status rank, Kafka
-- timestamp, partition, offset), then item index: replays and late, older
-- snapshots never move it backwards.
--
-- The order is packed into one 128-bit integer per snapshot so that the
-- winner is a plain max() per dossier and one semi-join, instead of a sort of
-- every snapshot: last_event_at in whole seconds since 2000 (0 when absent,
-- the smallest), the rank, the Kafka timestamp in milliseconds since 2000,
-- partition, offset and item index. A dossier with any snapshot the packing
-- cannot hold exactly (a date before 2000 or after 2135, a sub-second event
-- or sub-millisecond Kafka timestamp, partition >= 1024, offset >= 2^30,
-- item >= 1024) takes the exact path, a window over its snapshots.
CREATE MACRO onestop_status_rank(status) AS
  CASE WHEN status = 10 THEN 2 WHEN status IN (3, 7, 8, 9) THEN 1 ELSE 0 END;

-- The rule is written once, as table macros over a relation named by text
-- (query_table): the views below apply it to every snapshot, and the
-- warehouse's incremental refresh (materialize.go) to the snapshots of the
-- files a batch added, or to every snapshot of a few dossiers.
--
-- onestop_snapshot_keys_of(rel): the snapshots of rel with state_key, their
-- packed order, NULL when state_key_inexact.
CREATE MACRO onestop_snapshot_keys_of(rel) AS TABLE
SELECT * EXCLUDE (le, kts),
  CASE WHEN NOT state_key_inexact THEN
    CAST(((le << 31) | (onestop_status_rank(status) << 29) | (kts >> 13)) AS HUGEINT) * 9223372036854775808
      + (((kts & 8191) << 50) | (CAST(kafka_partition AS BIGINT) << 40) | (kafka_offset << 10) | item_index)
  END AS state_key
FROM (
  SELECT *,
    NOT coalesce(le BETWEEN 0 AND 4294967295 AND (last_event_at IS NULL OR epoch_us(last_event_at) % 1000000 = 0)
        AND kts BETWEEN 0 AND 4398046511103 AND epoch_us(kafka_timestamp) % 1000 = 0
        AND kafka_partition BETWEEN 0 AND 1023 AND kafka_offset BETWEEN 0 AND 1073741823
        AND item_index BETWEEN 0 AND 1023, false) AS state_key_inexact
  FROM (
    SELECT *,
      CASE WHEN last_event_at IS NULL THEN 0 ELSE epoch_us(last_event_at) // 1000000 - 946684799 END AS le,
      epoch_us(kafka_timestamp) // 1000 - 946684800000 AS kts
    -- Absent dates are NULL in the lake (the patched parquet-go writer,
    -- third_party/README.md); no epoch-as-NULL rewrite is needed here.
    FROM query_table(rel)
  )
);

-- onestop_current_of(rel): per dossier, its current state among the
-- snapshots of rel, with state_key: the packed order of that snapshot, or
-- NULL when one of the dossier's snapshots in rel took the exact path.
CREATE MACRO onestop_current_of(rel) AS TABLE
WITH k AS NOT MATERIALIZED (
  SELECT * FROM onestop_snapshot_keys_of(rel)
), best AS MATERIALIZED (
  SELECT dossier_code, max(state_key) AS state_key, bool_or(state_key_inexact) AS inexact
  FROM k GROUP BY dossier_code
)
SELECT * EXCLUDE (state_key_inexact)
FROM k SEMI JOIN (SELECT state_key FROM best WHERE NOT inexact) b ON k.state_key = b.state_key
UNION ALL BY NAME
SELECT * EXCLUDE (state_key_inexact, rn) REPLACE (NULL::HUGEINT AS state_key) FROM (
  SELECT *, row_number() OVER (
           PARTITION BY dossier_code
           ORDER BY last_event_at DESC NULLS LAST, onestop_status_rank(status) DESC,
                    kafka_timestamp DESC, kafka_partition DESC, kafka_offset DESC, item_index DESC) AS rn
  FROM k
  WHERE dossier_code IN (SELECT dossier_code FROM best WHERE inexact)
) WHERE rn = 1;

-- onestop_state_key(hi, lo) is the state_key stored as two BIGINTs (Parquet
-- has no 128-bit integer): state_key = hi * 2^63 + lo.
CREATE MACRO onestop_state_key(hi, lo) AS (CAST(hi AS HUGEINT) << 63) | lo;

CREATE VIEW dossier_current_keyed AS SELECT * FROM onestop_current_of('onestop_snapshots');

CREATE VIEW dossier_current AS SELECT * EXCLUDE (state_key) FROM dossier_current_keyed;

-- onestop_state_of(rel): the current-state rows of rel with the derived
-- columns of contract 4.1. dossier_state, the base of dossiers, applies it
-- to every dossier.
CREATE MACRO onestop_state_of(rel) AS TABLE
SELECT d.*,
  d.received_at IS NOT NULL AND d.status NOT IN (1, 3) AS accepted,
  CASE WHEN d.status IN (7, 8, 9, 10) THEN coalesce(d.finished_at, d.returned_at, d.kafka_timestamp) END AS end_at,
  -- The earliest apology's old appointment: a re-appointment never excuses.
  coalesce(
    CASE WHEN len(d.apologies) > 0 THEN
      list_sort(list_filter(d.apologies, x -> x.apology_at IS NOT NULL))[1].prev_due_at END,
    d.due_at) AS effective_due_at,
  coalesce(len(d.supplements), 0) AS supplement_count,
  coalesce(len(d.apologies), 0) AS apology_count
FROM query_table(rel) d;

CREATE VIEW dossier_state AS SELECT * FROM onestop_state_of('dossier_current');

-- dossiers: the current state, its derived columns and the sector and
-- agency attributes of the dimensions. sector_name and agency_name are the
-- dimension's names, else the ones the dossier carries.
CREATE VIEW dossiers AS
SELECT
  d.dossier_code, d.procedure_code, d.procedure_name,
  d.sector_code, coalesce(s.name, d.sector_name) AS sector_name,
  coalesce(s.sector_group, sector_group_of(d.sector_code)) AS sector_group,
  coalesce(s.group_name, g.group_name) AS sector_group_name,
  d.agency_code, coalesce(a.name, d.agency_name) AS agency_name,
  a.level AS agency_level, a.parent_code AS parent_agency_code,
  coalesce(a.current_agency_code, d.agency_code) AS current_agency_code,
  d.channel, d.applicant_type, d.status, d.return_by_post,
  d.submitted_at, d.received_at, d.due_at, d.finished_at, d.returned_at, d.refused_at, d.last_event_at,
  d.accepted, d.end_at, d.effective_due_at, d.supplement_count, d.apology_count,
  d.supplements, d.apologies, d.applicant_hash,
  d.kafka_partition, d.kafka_offset, d.kafka_timestamp
FROM dossier_state d
LEFT JOIN dim_sector s ON s.sector_code = d.sector_code
LEFT JOIN dim_sector_group g ON g.sector_group = sector_group_of(d.sector_code)
LEFT JOIN dim_agency a ON a.agency_code = d.agency_code;
