-- One-stop current state (contract 4.1). The current state of a dossier is
-- its snapshot with the greatest (last_event_at, status rank, Kafka
-- timestamp, partition, offset): replays and late, older snapshots never
-- move it backwards.
CREATE VIEW dossier_current AS
SELECT * EXCLUDE (rn) FROM (
  SELECT s.*,
         row_number() OVER (
           PARTITION BY dossier_code
           ORDER BY last_event_at DESC NULLS LAST,
                    CASE WHEN status = 10 THEN 2 WHEN status IN (3, 7, 8, 9) THEN 1 ELSE 0 END DESC,
                    kafka_timestamp DESC, kafka_partition DESC, kafka_offset DESC, item_index DESC) AS rn
  FROM onestop_snapshots s
) WHERE rn = 1;

CREATE VIEW dossiers AS
SELECT
  dossier_code, procedure_code, procedure_name, sector_code, sector_name,
  CASE WHEN strpos(sector_code, '-') > 0 THEN split_part(sector_code, '-', 1) ELSE sector_code END AS sector_group,
  agency_code, agency_name, channel, applicant_type, status, return_by_post,
  submitted_at, received_at, due_at, finished_at, returned_at, refused_at, last_event_at,
  received_at IS NOT NULL AND status NOT IN (1, 3) AS accepted,
  CASE WHEN status IN (7, 8, 9, 10) THEN coalesce(finished_at, returned_at, kafka_timestamp) END AS end_at,
  coalesce(
    list_sort(list_filter(apologies, a -> a.apology_at IS NOT NULL))[1].prev_due_at,
    due_at) AS effective_due_at,
  len(supplements) AS supplement_count,
  len(apologies) AS apology_count,
  supplements, apologies, applicant_hash,
  kafka_partition, kafka_offset, kafka_timestamp
FROM dossier_current;
