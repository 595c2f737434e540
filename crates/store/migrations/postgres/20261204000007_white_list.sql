-- 融资白名单 (art. 15, issue 19) and carriers' incubatees.
-- carrier_incubatees: enterprises a recognised carrier incubates (登记在孵企业), one row each.
-- white_lists: a confirmed list (the bureau's confirmation of what the platform computed);
-- white_list_entries: its enterprises with the criteria each met (JSON list of names).
CREATE TABLE carrier_incubatees (
    carrier_id BIGINT NOT NULL REFERENCES carriers (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    since TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (carrier_id, institution_id)
);
CREATE INDEX carrier_incubatees_institution ON carrier_incubatees (institution_id);

CREATE TABLE white_lists (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    confirmed_on TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    data_year BIGINT NOT NULL
);

CREATE TABLE white_list_entries (
    list_id BIGINT NOT NULL REFERENCES white_lists (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    criteria TEXT NOT NULL,
    PRIMARY KEY (list_id, institution_id)
);
