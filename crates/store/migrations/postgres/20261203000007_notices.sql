-- 公示 of a call's 拟支持名单 (issue 16): the approved applications at publication, frozen as
-- entries; objections from the public (real name and phone, kept from everyone but admins)
-- and the admin's ruling on each. starts_on and ends_on are Beijing dates: the notice runs
-- through the working day ends_on and closes by itself after it.

CREATE TABLE notices (
    id BIGSERIAL PRIMARY KEY,
    call_id BIGINT NOT NULL UNIQUE REFERENCES calls (id),
    published_at TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    working_days BIGINT NOT NULL,
    created_by BIGINT REFERENCES users (id)
);

CREATE TABLE notice_entries (
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    application_id BIGINT NOT NULL REFERENCES applications (id),
    institution_name TEXT NOT NULL,
    measure_id TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    withdrawn_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (notice_id, application_id)
);

CREATE TABLE objections (
    id BIGSERIAL PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    application_id BIGINT REFERENCES applications (id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    reason TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    ruling TEXT,
    ruling_reason TEXT NOT NULL DEFAULT '',
    ruled_at TEXT,
    ruled_by BIGINT REFERENCES users (id)
);
CREATE INDEX objections_notice ON objections (notice_id, id);
CREATE INDEX objections_phone ON objections (notice_id, phone);
