-- Dimensions (contract 4 and 4.4). loadDims has put <lake>/dims/*.csv, or
-- the built-in defaults of warehouse/dimdata, into src_calendar,
-- src_agencies and src_sectors; the dimensions are built from them once, at
-- Open, into small tables.

-- A calendar file with a kind other than holiday or workday is refused.
SELECT error('calendar.csv: kind of ' || coalesce(CAST(date AS VARCHAR), 'a row without a date') || ' is "' || coalesce(kind, '') || '", want holiday or workday')
FROM src_calendar
WHERE date IS NULL OR coalesce(lower(trim(kind)), '') NOT IN ('holiday', 'workday')
LIMIT 1;

-- calendar_days covers 2000-2060 (widened to whole years of the calendar
-- file if it reaches further) so that working days can be counted for any
-- realistic date; outside the years the file lists, only Saturdays and
-- Sundays are off. workday_seq counts the working days from the first row
-- up to and including the date, so the working days between instants a and
-- b (contract 4: days d with date(a) < d <= date(b)) are
-- workday_seq(date(b)) - workday_seq(date(a)).
CREATE TABLE calendar_days AS
WITH exceptions AS (
  SELECT date,
         min(lower(trim(kind))) AS kind, -- 'holiday' wins a date listed twice
         string_agg(nullif(trim(name), ''), '; ') AS name
  FROM src_calendar
  GROUP BY date
), bounds AS (
  SELECT make_date(least(2000, coalesce(min(year(date)), 2000)), 1, 1) AS lo,
         make_date(greatest(2060, coalesce(max(year(date)), 2060)), 12, 31) AS hi
  FROM exceptions
), days AS (
  SELECT bounds.lo + CAST(t.i AS INTEGER) AS date
  FROM bounds, range(0, bounds.hi - bounds.lo + 1) t(i)
), marked AS (
  SELECT days.date,
         CASE e.kind WHEN 'holiday' THEN false WHEN 'workday' THEN true
                     ELSE isodow(days.date) <= 5 END AS is_workday,
         coalesce(e.kind, CASE WHEN isodow(days.date) <= 5 THEN 'weekday' ELSE 'weekend' END) AS kind,
         e.name
  FROM days LEFT JOIN exceptions e ON e.date = days.date
)
SELECT date, is_workday, kind, name,
       CAST(sum(CAST(is_workday AS INTEGER)) OVER (ORDER BY date) AS INTEGER) AS workday_seq
FROM marked;

-- dim_calendar: one row per date of 2015-2027, or of the whole years the
-- calendar file covers when it reaches further.
CREATE VIEW dim_calendar AS
SELECT c.date,
       CAST(year(c.date) AS INTEGER) AS year,
       CAST(month(c.date) AS INTEGER) AS month,
       CAST(isodow(c.date) AS INTEGER) AS day_of_week, -- 1 Monday .. 7 Sunday
       c.is_workday, c.kind, c.name, c.workday_seq
FROM calendar_days c,
     (SELECT least(2015, coalesce(min(year(date)), 2015)) AS y0,
             greatest(2027, coalesce(max(year(date)), 2027)) AS y1
      FROM src_calendar) r
WHERE year(c.date) BETWEEN r.y0 AND r.y1;

-- The local (Asia/Ho_Chi_Minh) date of an instant, as CAST(ts AS DATE) in
-- the session time zone but by arithmetic: the zone has been UTC+7 since
-- 13 June 1975, and the time zone library is ten times slower per value.
CREATE MACRO local_date(ts) AS
  CASE WHEN ts >= TIMESTAMPTZ '1975-06-13 00:00:00+07'
       THEN DATE '1970-01-01' + CAST((epoch_us(ts) + 25200000000) // 86400000000 AS INTEGER)
       ELSE CAST(ts AS DATE) END;

-- Working days between two instants (contract 4), NULL outside calendar_days.
CREATE MACRO workdays_between(a, b) AS
  (SELECT workday_seq FROM calendar_days WHERE date = CAST(b AS DATE))
  - (SELECT workday_seq FROM calendar_days WHERE date = CAST(a AS DATE));

-- Sector groups: a sector code not listed in dim_sector belongs to the
-- group named by the part before its first '-', or to the whole code.
CREATE MACRO sector_group_of(code) AS
  CASE WHEN strpos(code, '-') > 0 THEN split_part(code, '-', 1) ELSE code END;

CREATE TABLE dim_sector AS
SELECT sector_code,
       any_value(nullif(trim(name), '')) AS name,
       coalesce(any_value(nullif(trim(sector_group), '')), sector_group_of(sector_code)) AS sector_group,
       any_value(nullif(trim(group_name), '')) AS group_name
FROM (SELECT trim(sector_code) AS sector_code, name, sector_group, group_name FROM src_sectors)
WHERE coalesce(sector_code, '') <> ''
GROUP BY sector_code
ORDER BY sector_code;

-- One name per sector group, from the rows of dim_sector that name it.
CREATE TABLE dim_sector_group AS
SELECT sector_group, min(group_name) AS group_name
FROM dim_sector
GROUP BY sector_group
ORDER BY sector_group;

UPDATE dim_sector s SET group_name = g.group_name
FROM dim_sector_group g
WHERE s.group_name IS NULL AND g.sector_group = s.sector_group;

-- dim_agency: the agencies with their validity and successors.
-- current_agency_code follows successor_code from agency to agency until one
-- has no successor (a cycle stops at its last new code): the agency that
-- carries the work today, used to restate history on today's structure.
CREATE TABLE dim_agency AS
WITH RECURSIVE a AS (
  SELECT trim(agency_code) AS agency_code,
         any_value(nullif(trim(name), '')) AS name,
         any_value(nullif(lower(trim(level)), '')) AS level,
         any_value(nullif(trim(parent_code), '')) AS parent_code,
         any_value(valid_from) AS valid_from,
         any_value(valid_to) AS valid_to,
         any_value(nullif(trim(successor_code), '')) AS successor_code
  FROM src_agencies
  WHERE coalesce(trim(agency_code), '') <> ''
  GROUP BY trim(agency_code)
), chain(agency_code, cur, depth, seen) AS (
  SELECT agency_code, agency_code, 0, [agency_code] FROM a
  UNION ALL
  SELECT c.agency_code, s.successor_code, c.depth + 1, list_append(c.seen, s.successor_code)
  FROM chain c JOIN a s ON s.agency_code = c.cur
  WHERE s.successor_code IS NOT NULL AND NOT list_contains(c.seen, s.successor_code) AND c.depth < 100
), current AS (
  SELECT agency_code, arg_max(cur, depth) AS current_agency_code FROM chain GROUP BY agency_code
)
SELECT a.agency_code, a.name, a.level, a.parent_code, a.valid_from, a.valid_to, a.successor_code,
       c.current_agency_code, cur.name AS current_agency_name
FROM a JOIN current c USING (agency_code)
LEFT JOIN a cur ON cur.agency_code = c.current_agency_code
ORDER BY a.agency_code;
