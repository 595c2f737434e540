-- How many entries of a published issue match each single public filter, counted once in the
-- publishing transaction: a published issue never changes, and counting a million rows on
-- every page view would not fit a page's time budget. facet is 'all' (value ''), 'field',
-- 'district', 'institution_kind', 'trl' (value '1'..'9'), 'mode' (a transfer-mode code) or
-- 'priority' (value '1').
CREATE TABLE list_counts (
    issue_id INTEGER NOT NULL REFERENCES list_issues (id),
    kind TEXT NOT NULL,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (issue_id, kind, facet, value)
);

-- Issues published before this table existed.
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT i.id, k.kind, 'all', '', (SELECT COUNT(*) FROM list_entries e WHERE e.issue_id = i.id AND e.kind = k.kind)
FROM list_issues i CROSS JOIN (SELECT 'achievement' AS kind UNION ALL SELECT 'demand') k
WHERE i.status = 'published';
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT issue_id, kind, 'field', field, COUNT(*) FROM list_entries GROUP BY issue_id, kind, field;
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT issue_id, kind, 'district', district, COUNT(*) FROM list_entries GROUP BY issue_id, kind, district;
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT issue_id, kind, 'institution_kind', institution_kind, COUNT(*) FROM list_entries GROUP BY issue_id, kind, institution_kind;
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT issue_id, kind, 'trl', CAST(trl AS TEXT), COUNT(*) FROM list_entries WHERE trl IS NOT NULL GROUP BY issue_id, kind, trl;
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT issue_id, kind, 'priority', '1', COUNT(*) FROM list_entries WHERE priority = 1 GROUP BY issue_id, kind;
INSERT INTO list_counts (issue_id, kind, facet, value, n)
SELECT e.issue_id, e.kind, 'mode', m.code, COUNT(*)
FROM list_entries e JOIN (
    SELECT 'assignment' AS code UNION ALL SELECT 'licence' UNION ALL SELECT 'equity'
    UNION ALL SELECT 'joint-development' UNION ALL SELECT 'technical-service'
) m ON e.modes LIKE '%"' || m.code || '"%'
GROUP BY e.issue_id, e.kind, m.code;
