"""Charity record kinds and the index tables their rules keep (docs/charity.md §1, §6).

Money is integer fen; which fen of which fund or project is where is kept as
ranges by `charity.pots` (docs/charity.md has the FIFO rule).
"""

from __future__ import annotations

import sqlite3

from . import pots

FUND_CREATED = "charity.fund.created"
PROJECT_CREATED = "charity.project.created"
DONATION = "charity.donation.received"
ALLOCATION = "charity.allocation"
REQUESTED = "charity.disbursement.requested"
APPROVED = "charity.disbursement.approved"
CANCELLED = "charity.disbursement.cancelled"
EXPENDITURE = "charity.expenditure"
REFUND = "charity.refund"
REVERSAL = "charity.reversal"
ACKNOWLEDGED = "charity.acknowledged"
PROJECT_STARTED = "charity.project.started"
PROJECT_ENDED = "charity.project.ended"
PROJECT_DISCLOSED = "charity.project.disclosed"
PROJECT_CLOSED = "charity.project.closed"

ORGANISATION_KINDS = (
    FUND_CREATED,
    PROJECT_CREATED,
    DONATION,
    ALLOCATION,
    REQUESTED,
    APPROVED,
    CANCELLED,
    EXPENDITURE,
    REFUND,
    REVERSAL,
    PROJECT_STARTED,
    PROJECT_ENDED,
    PROJECT_DISCLOSED,
    PROJECT_CLOSED,
)
CHANNELS = ("cash", "bank", "online")
MAX_EVIDENCE = 50
MAX_MILESTONES = 100
PENDING = "pending"  # an acknowledgement whose disbursement this node has not seen yet

SCHEMA = (
    pots.SCHEMA
    + """
CREATE TABLE IF NOT EXISTS charity_items (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_funds (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    target INTEGER,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_projects (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    fund TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    budget INTEGER NOT NULL,
    milestones TEXT NOT NULL,
    allocated INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_projects_by_fund ON charity_projects (log, fund);
CREATE TABLE IF NOT EXISTS charity_donations (
    log INTEGER NOT NULL,
    receipt TEXT NOT NULL,
    fund TEXT NOT NULL,
    amount INTEGER NOT NULL,
    start INTEGER NOT NULL,
    channel TEXT NOT NULL,
    donor TEXT NOT NULL,
    anonymous INTEGER NOT NULL,
    time TEXT NOT NULL,
    seq INTEGER NOT NULL,
    refunded INTEGER NOT NULL DEFAULT 0,
    reversed_by TEXT,
    PRIMARY KEY (log, receipt)
);
CREATE INDEX IF NOT EXISTS charity_donations_by_receipt ON charity_donations (receipt);
CREATE INDEX IF NOT EXISTS charity_donations_by_fund ON charity_donations (log, fund);
CREATE TABLE IF NOT EXISTS charity_allocations (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    fund TEXT NOT NULL,
    project TEXT NOT NULL,
    amount INTEGER NOT NULL,
    project_start INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    reversed_by TEXT,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_allocations_by_project ON charity_allocations (log, project);
CREATE INDEX IF NOT EXISTS charity_allocations_by_fund ON charity_allocations (log, fund);
CREATE TABLE IF NOT EXISTS charity_requests (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    project TEXT NOT NULL,
    amount INTEGER NOT NULL,
    beneficiary TEXT NOT NULL,
    beneficiary_agency TEXT NOT NULL,
    purpose TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_seq INTEGER,
    approval_seq INTEGER,
    reversed_by TEXT,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_requests_by_project ON charity_requests (log, project, status);
CREATE UNIQUE INDEX IF NOT EXISTS charity_requests_by_approval ON charity_requests (log, approval_seq)
    WHERE approval_seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS charity_expenditures (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    project TEXT NOT NULL,
    amount INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reversed_by TEXT,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_expenditures_by_project ON charity_expenditures (log, project);
CREATE TABLE IF NOT EXISTS charity_refunds (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    receipt TEXT NOT NULL,
    amount INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
);
CREATE INDEX IF NOT EXISTS charity_refunds_by_receipt ON charity_refunds (log, receipt);
CREATE TABLE IF NOT EXISTS charity_reversals (
    log INTEGER NOT NULL,
    id TEXT NOT NULL,
    target TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_acks (
    charity TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ack_log INTEGER NOT NULL,
    ack_seq INTEGER NOT NULL,
    leaf_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    amount INTEGER NOT NULL,
    acknowledged_by TEXT NOT NULL,
    status TEXT NOT NULL,
    problem_code TEXT,
    problem TEXT,
    PRIMARY KEY (charity, seq, ack_log)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_project_dates (
    log INTEGER NOT NULL,
    project TEXT NOT NULL,
    start TEXT NOT NULL,
    planned_end TEXT NOT NULL,
    start_seq INTEGER NOT NULL,
    end TEXT,
    end_seq INTEGER,
    closed_seq INTEGER,
    closed_time TEXT,
    closed_sha256 TEXT,
    PRIMARY KEY (log, project)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charity_disclosures (
    log INTEGER NOT NULL,
    project TEXT NOT NULL,
    period TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    time TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (log, project, period)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS charity_acks_pending ON charity_acks (status) WHERE status = 'pending';
"""
)


def schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
